"""Canteens (declarative model) and daily menus: validation with field paths, permissions,
compare-and-set edits, and switching the module off and on (schema gone, data kept)."""

from __future__ import annotations

from datetime import date

CREATE_CANTEEN = """mutation($i: CreateCanteenInput!) {
  createCanteen(input: $i) { id name capacityPerMeal meals active } }"""
MENUS = """query($d: Date!, $c: ID) { mealMenus(date: $d, canteenId: $c) { id meal canteenName capacity remaining open
  dishes { name priceFen nutritionTags } } }"""
UPDATE = """mutation($id: ID!, $i: UpdateMealMenuInput!, $v: Int) { updateMealMenu(id: $id, input: $i, version: $v) {
  id capacity cutoffAt version dishes { name } } }"""


def paths(err: dict) -> set[str]:
    return {f["path"] for f in err["extensions"]["fields"]}


async def test_canteens_menus_permissions_and_module_switch(meal, q):
    admin, resident, gw = meal.admin, meal.resident, meal.gw

    # -- canteens: generated CRUD with field validation and permissions
    err = await admin.error("BAD_USER_INPUT", CREATE_CANTEEN, {"i": {
        "name": " ", "capacityPerMeal": 0, "openingHours": "早上", "phone": "12345", "meals": ["brunch"]}})
    assert paths(err) == {"input.name", "input.capacityPerMeal", "input.openingHours", "input.phone", "input.meals"}
    await resident.error("FORBIDDEN", CREATE_CANTEEN, {"i": {"name": "x", "capacityPerMeal": 5}})
    await gw.error("FORBIDDEN", CREATE_CANTEEN, {"i": {"name": "x", "capacityPerMeal": 5}})
    canteen = await meal.canteen(capacity=40)
    lunch_only = (await admin.ok(CREATE_CANTEEN, {"i": {"name": "邻里助餐点", "capacityPerMeal": 10,
                                                        "meals": ["lunch"], "deliveryAvailable": False}}))
    lunch_only = lunch_only["createCanteen"]
    assert lunch_only["meals"] == ["lunch"] and lunch_only["active"]
    listed = await resident.ok("{ canteens(filter: {active: true}) { totalCount edges { node { name } } } }")
    assert listed["canteens"]["totalCount"] == 2
    await admin.error("FORBIDDEN", "mutation($id: ID!) { deleteCanteen(id: $id) }", {"id": canteen})

    # -- menus: every invalid field is named
    bad = {"canteenId": canteen, "date": "2030-03-13", "meal": "LUNCH", "capacity": 41,
           "cutoffAt": "2030-03-16T09:00:00+08:00",
           "dishes": [{"name": "鱼", "priceFen": 0}, {"name": "鱼", "priceFen": 100,
                                                      "nutritionTags": ["LOW_SALT", "LOW_SALT"]}]}
    err = await admin.error("BAD_USER_INPUT", q["CREATE_MENU"], {"i": bad})
    assert paths(err) == {"input.date", "input.capacity", "input.cutoffAt", "input.dishes.0.priceFen",
                          "input.dishes.1.name", "input.dishes.1.nutritionTags"}
    err = await admin.error("BAD_USER_INPUT", q["CREATE_MENU"], {"i": {
        "canteenId": lunch_only["id"], "date": "2030-03-15", "meal": "DINNER", "dishes": []}})
    assert paths(err) == {"input.meal", "input.dishes"}
    err = await admin.error("BAD_USER_INPUT", q["CREATE_MENU"], {"i": {
        "canteenId": "000000000000000000000000", "date": "2030-04-30", "meal": "LUNCH",
        "dishes": [{"name": "x", "priceFen": 1}]}})
    assert paths(err) == {"input.canteenId", "input.date"}  # unknown canteen; beyond menuDaysAhead (14)
    await gw.error("FORBIDDEN", q["CREATE_MENU"], {"i": {**bad, "date": "2030-03-15"}})

    menu = await meal.menu(canteen)
    assert menu["capacity"] == 40 and menu["remaining"] == 40 and menu["open"]
    assert menu["cutoffAt"] == "2030-03-15T01:00:00+00:00"  # settings: lunch closes 09:00 local on the day
    assert menu["dishes"][0]["nutritionTags"] == ["LOW_SALT", "SOFT_FOOD"]
    err = await admin.error("CONFLICT", q["CREATE_MENU"], {"i": {
        "canteenId": canteen, "date": "2030-03-15", "meal": "LUNCH", "dishes": [{"name": "x", "priceFen": 1}]}})
    assert err["extensions"]["reason"] == "MENU_EXISTS"
    breakfast = await meal.menu(canteen, meal="BREAKFAST")
    assert breakfast["cutoffAt"] == "2030-03-14T11:00:00+00:00"  # the evening before, 19:00 local

    # residents read today's menus in one request
    menus = (await resident.ok(MENUS, {"d": "2030-03-15", "c": canteen}))["mealMenus"]
    assert [m["meal"] for m in menus] == ["BREAKFAST", "LUNCH"]

    # -- edits: compare-and-set against orders and concurrent edits
    order = await meal.place(resident, menu["id"])
    err = await admin.error("CONFLICT", UPDATE, {"id": menu["id"], "i": {"dishes": [{"name": "面", "priceFen": 500}]}})
    assert err["extensions"]["reason"] == "HAS_ORDERS"
    await admin.error("BAD_USER_INPUT", UPDATE, {"id": menu["id"], "i": {"capacity": 0}})
    err = await admin.error("CONFLICT", UPDATE, {"id": menu["id"], "i": {"note": "x"}, "v": 1})
    assert err["extensions"]["reason"] == "STALE"
    updated = (await admin.ok(UPDATE, {"id": menu["id"], "i": {"capacity": 1}}))["updateMealMenu"]
    assert updated["capacity"] == 1
    err = await meal.place_error("CONFLICT", await meal.c.resident_client(4), menu["id"])
    assert err["extensions"]["reason"] == "CAPACITY_FULL"
    await meal.admin.ok(q["CANCEL"], {"id": order["id"]})
    err = await admin.error("CONFLICT", UPDATE, {"id": breakfast["id"], "i": {"capacity": 5}, "v": 99})
    assert err["extensions"]["reason"] == "STALE"
    closed = await admin.ok("mutation($id: ID!) { setMealMenuOpen(id: $id, open: false) { open } }", {"id": menu["id"]})
    assert closed["setMealMenuOpen"]["open"] is False
    err = await meal.place_error("CONFLICT", resident, menu["id"])
    assert err["extensions"]["reason"] == "MENU_CLOSED"
    await resident.error("FORBIDDEN", "mutation($id: ID!) { setMealMenuOpen(id: $id, open: true) { open } }",
                         {"id": menu["id"]})

    # -- switched off elsewhere and here: MODULE_DISABLED; data survives re-enabling
    other = meal.c.other.client("community_admin")
    err = await other.error("MODULE_DISABLED", MENUS, {"d": "2030-03-15"})
    assert err["extensions"]["module"] == "meal_assist"
    await other.error("MODULE_DISABLED", "{ canteens { totalCount } }")
    await other.error("MODULE_DISABLED", q["PLACE"], {"i": meal.order_input(menu["id"])})
    await meal.c.set_module("meal_assist", False)
    await resident.error("MODULE_DISABLED", MENUS, {"d": "2030-03-15"})
    await meal.c.set_module("meal_assist", True)
    again = (await resident.ok(MENUS, {"d": str(date(2030, 3, 15)), "c": canteen}))["mealMenus"]
    assert len(again) == 2
