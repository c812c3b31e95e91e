"""Statistics (module query and the dashboard hook) and demo data (the seed hook)."""

from __future__ import annotations

from datetime import date

from community_plus_sdk.clock import china_date

STATS = """query($s: Date!, $u: Date!, $c: ID) { mealStatistics(since: $s, until: $u, canteenId: $c) {
  mealsOrdered mealsServed mealsCancelled subsidySpentFen paidFen byType { orderType count }
  days { date ordered served cancelled subsidyFen } topDishes { name quantity }
  budgets { month budgetFen spentFen remainingFen } } }"""
DASHBOARD = """query($c: ID, $s: DateTime, $u: DateTime) { moduleStatistics(communityId: $c, since: $s, until: $u) {
  module key label value unit } }"""
SERVE = "mutation($id: ID!) { markMealOrderServed(id: $id) { status } }"


async def test_statistics_dashboard_and_seed(meal, q):
    admin, gw = meal.admin, meal.gw
    r = [meal.resident, *[await meal.c.resident_client(i) for i in range(1, 6)]]
    canteen, other = await meal.canteen(), await meal.canteen()
    day1 = await meal.menu(canteen)
    day2 = await meal.menu(canteen, on=date(2030, 3, 16))
    elsewhere = await meal.menu(other)
    served = [await meal.place(r[i], day1["id"]) for i in (0, 1)]             # 1300 each: 500 and 600 subsidy
    await meal.place(r[3], day1["id"], kind="PICK_UP", items=[("d2", 1)])      # 500: subsidy 200
    cancelled = await meal.place(r[4], day1["id"])
    await r[4].ok(q["CANCEL"], {"id": cancelled["id"]})
    await meal.place(r[5], day2["id"], items=[("d2", 2), ("d3", 1)])           # 1100: subsidy 500
    await meal.place(r[4], elsewhere["id"])                                    # other canteen: 500
    meal.clock.advance(hours=25)
    for order in served:
        await admin.ok(SERVE, {"id": order["id"]})

    stats = (await admin.ok(STATS, {"s": "2030-03-15", "u": "2030-03-16", "c": canteen}))["mealStatistics"]
    assert (stats["mealsOrdered"], stats["mealsServed"], stats["mealsCancelled"]) == (4, 2, 1)
    assert (stats["subsidySpentFen"], stats["paidFen"]) == (500 + 600 + 200 + 500, 800 + 700 + 300 + 600)
    assert stats["days"] == [
        {"date": "2030-03-15", "ordered": 3, "served": 2, "cancelled": 1, "subsidyFen": 1300},
        {"date": "2030-03-16", "ordered": 1, "served": 0, "cancelled": 0, "subsidyFen": 500}]
    assert stats["topDishes"] == [{"name": "清炒西兰花", "quantity": 3}, {"name": "米饭", "quantity": 3},
                                  {"name": "清蒸鲈鱼", "quantity": 2}]  # ties by name
    assert {t["orderType"]: t["count"] for t in stats["byType"]} == {"EAT_IN": 3, "PICK_UP": 1}
    # the budget is the community's, across canteens
    assert stats["budgets"] == [{"month": "2030-03", "budgetFen": 3000000, "spentFen": 2300,
                                 "remainingFen": 3000000 - 2300}]
    whole = (await admin.ok(STATS, {"s": "2030-03-01", "u": "2030-03-31"}))["mealStatistics"]
    assert (whole["mealsOrdered"], whole["subsidySpentFen"]) == (5, 2300)

    # who may see them, and for how long a window
    await r[0].error("FORBIDDEN", STATS, {"s": "2030-03-15", "u": "2030-03-16"})
    await gw.error("FORBIDDEN", STATS, {"s": "2030-03-15", "u": "2030-03-16", "c": canteen})
    await admin.ok("mutation($i: AddCanteenStaffInput!) { addCanteenStaff(input: $i) { id } }",
                   {"i": {"canteenId": canteen, "userId": await meal.user_id(gw), "name": "王师傅"}})
    own = await gw.ok(STATS, {"s": "2030-03-15", "u": "2030-03-16", "c": canteen})
    assert own["mealStatistics"]["mealsOrdered"] == 4
    await gw.error("FORBIDDEN", STATS, {"s": "2030-03-15", "u": "2030-03-16"})
    err = await admin.error("BAD_USER_INPUT", STATS, {"s": "2030-01-01", "u": "2030-06-30"})
    assert err["extensions"]["fields"][0]["path"] == "until"
    await admin.error("BAD_USER_INPUT", STATS, {"s": "2030-03-16", "u": "2030-03-15"})

    # the community dashboard (dashboard_statistics hook)
    rows = (await admin.ok(DASHBOARD, {"c": meal.c.id, "s": "2030-03-01T00:00:00+08:00",
                                       "u": "2030-03-31T23:59:59+08:00"}))["moduleStatistics"]
    figures = {row["key"]: row for row in rows if row["module"] == "meal_assist"}
    assert figures["meals_ordered"]["value"] == 5 and figures["meals_served"]["value"] == 2
    assert figures["subsidy_spent"]["value"] == 23.0 and figures["subsidy_spent"]["unit"] == "元"
    assert figures["subsidy_budget_month"]["value"] == 30000.0
    assert figures["subsidy_budget_used"]["value"] == round(100 * 2300 / 3000000, 1)
    assert figures["top_dish_1"]["label"].endswith("米饭")

    # demo data (seed_demo_data hook): canteens and a week of menus, idempotent
    first = await meal.c.call_hook("meal_assist", "seed_demo_data", scope=meal.c.id, community_id=meal.c.id)
    again = await meal.c.call_hook("meal_assist", "seed_demo_data", scope=meal.c.id, community_id=meal.c.id)
    assert first == [{"canteens": 2, "menus": 7 * 4}] and again == [{"canteens": 0, "menus": 0}]
    today = china_date(meal.clock.now()).isoformat()
    menus = (await r[0].ok("query($d: Date!) { mealMenus(date: $d) { canteenName meal dishes { nutritionTags } } }",
                           {"d": today}))["mealMenus"]
    assert {m["canteenName"] for m in menus} >= {"幸福里长者食堂", "邻里中心助餐点"}
    demo = await meal.place(r[0], next(m for m in (await r[0].ok(
        "query($d: Date!) { mealMenus(date: $d, meal: DINNER) { id canteenName } }",
        {"d": "2030-03-16"}))["mealMenus"] if m["canteenName"] == "幸福里长者食堂")["id"])
    assert demo["status"] == "PLACED"
