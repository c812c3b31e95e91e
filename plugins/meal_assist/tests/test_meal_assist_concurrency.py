"""Concurrent orders on scarce resources: the last meal slots, a diner's last monthly subsidy,
the community's last budget, and a retried request, all with exactly-once outcomes."""

from __future__ import annotations

import asyncio
from datetime import date


def outcome(body: dict) -> str:
    if body.get("errors"):
        e = body["errors"][0]["extensions"]
        return e.get("reason") or e["code"]
    return "OK"


async def test_scarce_resources_under_concurrency(meal, q):
    clients = [await meal.c.resident_client(i) for i in range(10)]
    canteen = await meal.canteen(capacity=100)

    async def race(pairs, **kw):
        """Place all orders at once; returns the response bodies in order."""
        return await asyncio.gather(*[c.execute(q["PLACE"], {"i": meal.order_input(m, **kw)}) for c, m in pairs])

    # one diner, six meals at once, a monthly cap worth two meals (and a bit): exactly two subsidised
    await meal.configure(monthlyCapFen=1200)
    days = [date(2030, 3, d) for d in (15, 16, 17)]
    menus = [(await meal.menu(canteen, on=d, meal=m))["id"] for d in days for m in ("LUNCH", "DINNER")]
    bodies = await race([(clients[4], m) for m in menus])
    results = [outcome(b) for b in bodies]
    assert sorted(results) == ["MONTHLY_CAP_REACHED"] * 4 + ["OK"] * 2, results
    status = await meal.subsidy(clients[4])
    assert (status["usedFen"], status["mealsOrdered"]) == (1000, 2)
    await meal.configure(monthlyCapFen=15000, openToAllResidents=True)

    # ten diners, three seats: capacity is never exceeded
    last_seats = await meal.menu(canteen, on=date(2030, 3, 18), capacity=3)
    spent_before = (await meal.subsidy(clients[0]))["communitySpentFen"]
    bodies = await race([(c, last_seats["id"]) for c in clients], accept=True)
    results = [outcome(b) for b in bodies]
    assert sorted(results) == ["CAPACITY_FULL"] * 7 + ["OK"] * 3, results
    state = await meal.menu_state(last_seats["id"])
    assert (state["orderedCount"], state["remaining"]) == (3, 0)
    granted = sum(b["data"]["placeMealOrder"]["subsidyFen"] for b in bodies if not b.get("errors"))
    assert (await meal.subsidy(clients[0]))["communitySpentFen"] == spent_before + granted

    # the last 1200 fen of the budget, ten diners accepting a reduced subsidy: spent exactly once
    spent = (await meal.subsidy(clients[0]))["communitySpentFen"]
    await meal.configure(monthlyBudgetFen=spent + 1200)
    menu = await meal.menu(canteen, on=date(2030, 3, 19))
    bodies = await race([(c, menu["id"]) for c in clients], accept=True)
    assert [outcome(b) for b in bodies] == ["OK"] * 10
    subsidies = [b["data"]["placeMealOrder"]["subsidyFen"] for b in bodies]
    assert sum(subsidies) == 1200, subsidies
    assert (await meal.subsidy(clients[0]))["communitySpentFen"] == spent + 1200

    # the next 1000 fen, five diners entitled to 500 who refuse a reduced subsidy: exactly two
    await meal.configure(monthlyBudgetFen=spent + 2200)
    menu = await meal.menu(canteen, on=date(2030, 3, 20))
    bodies = await race([(c, menu["id"]) for c in clients[5:]])
    results = [outcome(b) for b in bodies]
    assert sorted(results) == ["BUDGET_EXHAUSTED"] * 3 + ["OK"] * 2, results
    assert (await meal.subsidy(clients[0]))["communitySpentFen"] == spent + 2200
    assert (await meal.menu_state(menu["id"]))["orderedCount"] == 2

    # the diner, their guardian and their grid worker order the same meal for them at once: one order
    await meal.configure(monthlyBudgetFen=3000000)
    await meal.admin.ok("""mutation($i: EnrollMealDinerInput!) { enrollMealDiner(input: $i) { id } }""",
                        {"i": {"residentId": meal.rids[1], "guardianResidentIds": [meal.rids[2]]}})
    menu = await meal.menu(canteen, on=date(2030, 3, 22))
    placers = [clients[1], clients[2], meal.gw] * 3
    bodies = await asyncio.gather(*[c.execute(q["PLACE"], {"i": meal.order_input(
        menu["id"], resident_id=None if c is clients[1] else meal.rids[1])}) for c in placers])
    assert sorted(outcome(b) for b in bodies) == ["ALREADY_ORDERED"] * 8 + ["OK"]
    assert (await meal.menu_state(menu["id"]))["orderedCount"] == 1

    # a flaky network: the same request (same idempotency key) eight times at once → one order
    menu = await meal.menu(canteen, on=date(2030, 3, 21))
    used = (await meal.subsidy(clients[9]))["usedFen"]
    bodies = await race([(clients[9], menu["id"])] * 8, key="wx-retry-7f3a9c")
    ids = {b["data"]["placeMealOrder"]["id"] for b in bodies}
    assert len(ids) == 1, bodies
    assert (await meal.menu_state(menu["id"]))["orderedCount"] == 1
    assert (await meal.subsidy(clients[9]))["usedFen"] == used + 500

    # and concurrent cancellations of one order restore its subsidy once
    order_id = ids.pop()
    bodies = await asyncio.gather(*[clients[9].execute(q["CANCEL"], {"id": order_id}) for _ in range(5)])
    assert sorted(outcome(b) for b in bodies) == ["OK"] + ["WRONG_STATE"] * 4
    assert (await meal.subsidy(clients[9]))["usedFen"] == used
    assert (await meal.menu_state(menu["id"]))["orderedCount"] == 0
