"""Virtual nursing home (虚拟养老院), a Community+ module built on `community_plus_sdk` only.

Providers and their care workers, a home-care catalogue, care orders placed by elders or
their family for a time slot with government subsidies applied at order time (never over
the community's monthly budget), dispatch, check-in/out at the elder's home, service
records, confirmation and rating, monthly statements, overdue check-in alerts for grid
workers, dashboard statistics and demo data.
"""

from __future__ import annotations

from community_plus_sdk import GraphQLContribution, hookimpl

from .alerts import scan_overdue
from .api.schema import ElderCareMutation, ElderCareQuery
from .collections import COLLECTIONS
from .demo import seed
from .elders import refresh_from_resident
from .invitations import ElderCareInvitationMutation
from .manifest import module
from .models import CareProvider, CareServiceItem
from .stats import dashboard

__version__ = module.version


MODULE = module.with_parts(models=[CareProvider, CareServiceItem], collections=COLLECTIONS,
                           graphql=GraphQLContribution(queries=[ElderCareQuery],
                                                           mutations=[ElderCareMutation, ElderCareInvitationMutation]))


@hookimpl
def register_module():
    """The manifest with its models, GraphQL types and collections."""
    return MODULE


@hookimpl
async def migrate(ctx, from_version, to_version):
    """0.2.0 seals people's phone numbers (encrypted at rest, masked on read): seal the
    numbers stored in plaintext before."""
    for name in ("providers", "care_workers", "elders"):
        await ctx.unscoped_collection(name).seal_existing()


@hookimpl
async def run_periodic(ctx, now):
    """Raise alerts for visits whose check-in is overdue (every community); returns how many."""
    return await scan_overdue(ctx, now)


@hookimpl
async def on_event(ctx, event, payload):
    """Keep enrolled elders' copies of their resident record current."""
    if event == "resident_updated" and isinstance(payload.get("resident"), dict):
        await refresh_from_resident(ctx, payload["resident"])


@hookimpl
async def dashboard_statistics(ctx, community_id, since, until):
    return await dashboard(ctx, since, until)


@hookimpl
async def seed_demo_data(ctx, community_id):
    await seed(ctx, community_id)
