"""Fixtures for the meal_assist tests: the SDK harness with only this module enabled, a
controllable clock, and a `meal` helper that sets up residents, canteens and menus through
GraphQL."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest

from community_plus_sdk.clock import Clock
from community_plus_sdk.clock import clock as sdk_clock

CST = timezone(timedelta(hours=8))
START = datetime(2030, 3, 14, 10, 0, tzinfo=CST)  # a Thursday morning, local time
MEAL_DAY = date(2030, 3, 15)

# (birthDate, tags, grid index) per resident index; ages are on MEAL_DAY
RESIDENTS = [
    ("1945-06-01", ["ELDERLY"], 0),                 # 0: 84 → band 500
    ("1958-01-01", ["ELDERLY", "LOW_INCOME"], 0),   # 1: 72 → 300 + 300 = 600
    ("1990-01-01", [], 0),                          # 2: 40, not eligible
    ("1985-05-05", ["DISABLED"], 0),                # 3: 44, disabled → 0 + 200
    ("1950-01-01", ["ELDERLY"], 0),                 # 4..9: 80 → 500
    ("1950-01-01", ["ELDERLY"], 1),
    ("1950-01-01", ["ELDERLY"], 1),
    ("1950-01-01", ["ELDERLY"], 1),
    ("1950-01-01", ["ELDERLY"], 1),
    ("1950-01-01", ["ELDERLY"], 1),
]

DISHES = [{"name": "清蒸鲈鱼", "priceFen": 1200, "nutritionTags": ["LOW_SALT", "SOFT_FOOD"]},
          {"name": "清炒西兰花", "priceFen": 500, "nutritionTags": ["DIABETIC_FRIENDLY", "VEGETARIAN"]},
          {"name": "米饭", "priceFen": 100}]

ORDER_FIELDS = """id menuId canteenId date meal residentId dinerName orderType status mealPriceFen deliveryFeeFen
  totalFen subsidyFen payFen subsidyLimitedBy onBehalf deliveryAddress cutoffAt version
  items { dishId name quantity unitPriceFen } deliverer { kind id name }"""
PLACE = f"mutation($i: PlaceMealOrderInput!) {{ placeMealOrder(input: $i) {{ {ORDER_FIELDS} }} }}"
CANCEL = f"mutation($id: ID!) {{ cancelMealOrder(id: $id, reason: \"不想吃了\") {{ {ORDER_FIELDS} }} }}"
MENU_FIELDS = """id canteenId canteenName date meal capacity orderedCount remaining cutoffAt open version
  dishes { id name priceFen nutritionTags }"""
CREATE_MENU = f"mutation($i: CreateMealMenuInput!) {{ createMealMenu(input: $i) {{ {MENU_FIELDS} }} }}"
MENU = f"query($id: ID!) {{ mealMenu(id: $id) {{ {MENU_FIELDS} }} }}"
SUBSIDY = """query($r: ID, $m: String) { mealSubsidyStatus(residentId: $r, month: $m) { residentId month eligible age
  perMealSubsidyFen monthlyCapFen usedFen remainingFen mealsOrdered communityBudgetFen communitySpentFen } }"""


@pytest.fixture
def cp_modules() -> list[str]:
    return ["meal_assist"]


@pytest.fixture
def clock() -> Iterator[Clock]:
    """The SDK's one clock (`ctx.now()`), frozen at START for the test: `set`/`advance` move
    time without sleeping."""
    sdk_clock.set(START)
    yield sdk_clock
    sdk_clock.reset()


class Meal:
    """GraphQL helpers over the harness's community."""

    def __init__(self, community: Any, clock: Clock) -> None:
        self.c = community
        self.clock = clock
        self.admin = community.client("community_admin")
        self.gw = community.client("grid_worker")
        self.resident = community.client("resident")
        self.rids = community.resident_ids
        self._keys = itertools.count()

    async def setup_residents(self) -> None:
        for rid, (birth, tags, grid) in zip(self.rids, RESIDENTS, strict=True):
            await self.admin.ok("""mutation($id: ID!, $i: UpdateResidentInput!) { updateResident(id: $id, input: $i)
                { id } }""", {"id": rid, "i": {"birthDate": birth, "tags": tags, "gridId": self.c.grid_ids[grid],
                                               "address": {"building": "3栋", "unit": "2单元", "room": "502"}}})

    async def user_id(self, client: Any) -> str:
        return (await client.ok("{ me { id } }"))["me"]["id"]

    async def canteen(self, capacity: int = 50, delivery: bool = True, meals: list[str] | None = None) -> str:
        data = await self.admin.ok("""mutation($i: CreateCanteenInput!) { createCanteen(input: $i) { id } }""",
                                   {"i": {"name": "幸福里长者食堂", "capacityPerMeal": capacity,
                                          "openingHours": "10:30-13:00,16:30-18:30", "deliveryAvailable": delivery,
                                          "meals": meals or ["breakfast", "lunch", "dinner"]}})
        return data["createCanteen"]["id"]

    async def menu(self, canteen_id: str, on: date = MEAL_DAY, meal: str = "LUNCH", capacity: int | None = None,
                   cutoff_at: str | None = None, dishes: list[dict] | None = None) -> dict[str, Any]:
        i = {"canteenId": canteen_id, "date": on.isoformat(), "meal": meal, "dishes": dishes or DISHES}
        if capacity is not None:
            i["capacity"] = capacity
        if cutoff_at is not None:
            i["cutoffAt"] = cutoff_at
        return (await self.admin.ok(CREATE_MENU, {"i": i}))["createMealMenu"]

    def order_input(self, menu_id: str, *, resident_id: str | None = None, kind: str = "EAT_IN",
                    items: list[tuple[str, int]] | None = None, key: str | None = None, accept: bool = False,
                    address: str | None = None) -> dict[str, Any]:
        chosen = [("d1", 1), ("d3", 1)] if items is None else items
        i: dict[str, Any] = {"menuId": menu_id, "orderType": kind, "acceptReducedSubsidy": accept,
                             "items": [{"dishId": d, "quantity": n} for d, n in chosen]}
        if resident_id:
            i["residentId"] = resident_id
        if key:
            i["idempotencyKey"] = key
        if address:
            i["deliveryAddress"] = address
        return i

    async def place(self, client: Any, menu_id: str, **kw: Any) -> dict[str, Any]:
        return (await client.ok(PLACE, {"i": self.order_input(menu_id, **kw)}))["placeMealOrder"]

    async def place_error(self, code: str, client: Any, menu_id: str, **kw: Any) -> dict[str, Any]:
        return await client.error(code, PLACE, {"i": self.order_input(menu_id, **kw)})

    async def menu_state(self, menu_id: str) -> dict[str, Any]:
        return (await self.admin.ok(MENU, {"id": menu_id}))["mealMenu"]

    async def subsidy(self, client: Any, resident_id: str | None = None, month: str = "2030-03") -> dict[str, Any]:
        return (await client.ok(SUBSIDY, {"r": resident_id, "m": month}))["mealSubsidyStatus"]

    async def configure(self, **settings: Any) -> dict[str, Any]:
        return await self.c.configure("meal_assist", settings)


@pytest.fixture
async def meal(community, clock) -> Meal:
    helper = Meal(community, clock)
    await helper.setup_residents()
    return helper


@pytest.fixture
def q() -> dict[str, str]:
    """Shared GraphQL documents."""
    return {"PLACE": PLACE, "CANCEL": CANCEL, "CREATE_MENU": CREATE_MENU, "MENU": MENU, "SUBSIDY": SUBSIDY,
            "ORDER_FIELDS": ORDER_FIELDS, "MENU_FIELDS": MENU_FIELDS}
