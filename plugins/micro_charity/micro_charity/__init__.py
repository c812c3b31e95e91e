"""微公益 (micro-philanthropy), a Community+ module: micro-wishes, public-good projects with
pledges and donations, volunteer activities with recorded hours, and a points catalogue.

Discovered through the `community_plus_sdk.plugins.v1` entry point; uses `community_plus_sdk` only.
"""

from __future__ import annotations

from community_plus_sdk import GraphQLContribution, hookimpl

from . import demo, stats
from .manifest import COLLECTIONS, module
from .points import CharityCatalogueItem, CharityPointsMutation, CharityPointsQuery
from .projects import CharityProjectMutation, CharityProjectQuery
from .volunteer import CharityActivityMutation, CharityActivityQuery
from .wishes import CharityWishMutation, CharityWishQuery

__all__ = ["module"]


MODULE = module.with_parts(
    models=[CharityCatalogueItem], collections=COLLECTIONS,
    graphql=GraphQLContribution(
        queries=[CharityWishQuery, CharityProjectQuery, CharityActivityQuery, CharityPointsQuery],
        mutations=[CharityWishMutation, CharityProjectMutation, CharityActivityMutation, CharityPointsMutation]))


@hookimpl
def register_module():
    """The manifest with its models, GraphQL types and collections."""
    return MODULE


@hookimpl
async def seed_demo_data(ctx, community_id):
    await demo.seed(ctx, community_id)


@hookimpl
async def dashboard_statistics(ctx, community_id, since, until):
    return await stats.statistics(ctx, since, until)
