"""Community+ module `meal_assist` (社区助餐): community canteens publish daily menus;
eligible residents (or their guardians, or staff for them) order eat-in, pick-up or delivery
with a subsidy deducted in the same transaction; canteen staff serve and hand deliveries to
grid workers or volunteers; the community sees subsidy spending against its budget.

Uses only `community_plus_sdk`.
"""

from __future__ import annotations

from typing import Any

from community_plus_sdk import CollectionSpec, GraphQLContribution, hookimpl

from . import people, seed, stats
from .api import MealAssistMutation, MealAssistQuery
from .common import ACCOUNTS, BUDGETS, DINERS, MENUS, ORDERS, REQUESTS, STAFF
from .manifest import module
from .models import Canteen, MealVolunteer

__all__ = ["module"]

_COUNT = {"bsonType": ["int", "long"], "minimum": 0}


def _collections() -> list[CollectionSpec]:
    c = ("communityId", 1)
    return [
        CollectionSpec(MENUS, indexes=[[c, ("date", 1), ("canteenId", 1), ("meal", 1)]],
                       validator={"required": ["canteenId", "date", "meal", "capacity", "orderedCount", "cutoffAt"],
                                  "properties": {"orderedCount": _COUNT, "capacity": _COUNT}}),
        CollectionSpec(ORDERS, indexes=[[c, ("menuId", 1), ("status", 1)], [c, ("residentId", 1), ("_id", -1)],
                                        [c, ("placedBy", 1), ("_id", -1)], [c, ("date", 1), ("canteenId", 1)],
                                        [c, ("deliverer.userId", 1), ("date", 1)],
                                        [c, ("deliverer.residentId", 1), ("date", 1)],
                                        # a deliverer's open deliveries (status $in, newest first)
                                        [c, ("deliverer.userId", 1), ("status", 1), ("_id", -1)],
                                        [c, ("deliverer.residentId", 1), ("status", 1), ("_id", -1)]],
                       validator={"required": ["menuId", "residentId", "status", "subsidyFen", "payFen"],
                                  "properties": {"subsidyFen": _COUNT, "payFen": _COUNT}}),
        CollectionSpec(ACCOUNTS, indexes=[[c, ("residentId", 1), ("month", 1)]],
                       validator={"properties": {"usedFen": _COUNT, "mealCount": _COUNT}}),
        CollectionSpec(BUDGETS, indexes=[[c, ("month", 1)]], validator={"properties": {"spentFen": _COUNT}}),
        CollectionSpec(REQUESTS),
        CollectionSpec(DINERS, indexes=[[c, ("residentId", 1)], [c, ("guardianResidentIds", 1)],
                                        [c, ("snapshot.gridId", 1), ("_id", -1)],
                                        [c, ("active", 1), ("residentId", 1)],  # the active diners of a
                                        [c, ("active", 1), ("guardianResidentIds", 1)],  # resident, a guardian,
                                        [c, ("active", 1), ("snapshot.gridId", 1), ("_id", -1)]]),  # a grid
        CollectionSpec(STAFF, indexes=[[c, ("userId", 1), ("canteenId", 1)], [c, ("canteenId", 1)],
                                       [c, ("active", 1), ("_id", 1)],
                                       [c, ("userId", 1), ("canteenId", 1), ("active", 1)]],
                       sealed=("phone",)),
    ]


MODULE = module.with_parts(models=[Canteen, MealVolunteer], collections=_collections(),
                           graphql=GraphQLContribution(queries=[MealAssistQuery], mutations=[MealAssistMutation]))


@hookimpl
def register_module():
    """The manifest with its models, GraphQL types and collections."""
    return MODULE


@hookimpl
async def migrate(ctx: Any, from_version: str | None, to_version: str) -> None:
    """0.2.0 seals people's phone numbers (encrypted at rest, masked on read): seal the
    numbers stored in plaintext before."""
    for name in ("canteens", "volunteers", STAFF):
        await ctx.unscoped_collection(name).seal_existing()


@hookimpl
async def on_event(ctx: Any, event: str, payload: dict[str, Any]) -> None:
    if event == "resident_updated" and isinstance(payload.get("resident"), dict):
        await people.refresh_snapshot(ctx, payload["resident"])


@hookimpl
async def seed_demo_data(ctx: Any, community_id: str) -> Any:
    return await seed.seed(ctx, community_id)


@hookimpl
async def dashboard_statistics(ctx: Any, community_id: str, since: Any, until: Any) -> Any:
    return await stats.dashboard(ctx, since, until)
