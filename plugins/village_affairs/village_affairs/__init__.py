"""村务公开 (village-affairs disclosure) — a Community+ module built on `community_plus_sdk` only.

Community admins disclose finances, assets, projects, subsidies and decisions, at once or at
a scheduled time, until an optional expiry, with attachments (the platform's uploads).
Residents of the community — and nobody else — read them (reads are counted once per
resident), ask questions and get official answers (notified). A yearly catalogue says what
must be disclosed and how often; per period it shows what was disclosed and what is OVERDUE.
"""

from __future__ import annotations

from community_plus_sdk import GraphQLContribution, hookimpl

from .api import VillageAffairsMutation, VillageAffairsQuery
from .collections import COLLECTIONS
from .demo import seed
from .manifest import module
from .stats import dashboard

__version__ = module.version


@hookimpl
def register_module():
    return module


@hookimpl
def register_graphql():
    return GraphQLContribution(queries=[VillageAffairsQuery], mutations=[VillageAffairsMutation])


@hookimpl
def register_collections():
    return COLLECTIONS


@hookimpl
async def dashboard_statistics(ctx, community_id, since, until):
    return await dashboard(ctx, since, until)


@hookimpl
async def seed_demo_data(ctx, community_id):
    await seed(ctx, community_id)
