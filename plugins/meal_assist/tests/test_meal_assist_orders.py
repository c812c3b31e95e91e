"""Ordering end to end: the subsidy deducted with the order and restored on cancellation,
cut-offs on a controlled clock, eligibility, guardians and staff ordering for residents,
monthly caps and the budget, and idempotent retries."""

from __future__ import annotations

from datetime import date, datetime

from community_plus_sdk.relay import nodes

MY_ORDERS = """query($s: MealOrderStatus, $f: Int, $a: String) { myMealOrders(status: $s, first: $f, after: $a) {
  pageInfo { hasNextPage endCursor } totalCount edges { node { id residentId onBehalf } } } }"""
ORDER = "query($id: ID!) { mealOrder(id: $id) { id status dietaryNotes } }"
ENROLL = """mutation($i: EnrollMealDinerInput!) { enrollMealDiner(input: $i) { id residentId name age eligible
  perMealSubsidyFen guardianResidentIds dietaryNotes deliveryAddress active } }"""
MY_DINERS = "{ myMealDiners { residentId age eligible perMealSubsidyFen dietaryNotes } }"


def paths(err: dict) -> set[str]:
    return {f["path"] for f in err["extensions"]["fields"]}


async def test_order_subsidy_cancel_cutoff_and_eligibility(meal, q):
    r0, r1, r2, r3 = meal.resident, *[await meal.c.resident_client(i) for i in (1, 2, 3)]
    canteen = await meal.canteen(capacity=50)
    lunch = await meal.menu(canteen)
    dinner = await meal.menu(canteen, meal="DINNER")

    # input validation names every field
    err = await meal.place_error("BAD_USER_INPUT", r0, lunch["id"], items=[("d1", 9), ("d1", 1)], key="bad key!")  # the one rule: letters, digits, _.:-
    assert paths(err) == {"input.items.0.quantity", "input.items.1.dishId", "input.idempotencyKey"}
    err = await meal.place_error("BAD_USER_INPUT", r0, lunch["id"], items=[])
    assert paths(err) == {"input.items"}
    err = await meal.place_error("BAD_USER_INPUT", r0, lunch["id"], items=[("d9", 1)])
    assert paths(err) == {"input.items.0.dishId"}
    err = await meal.place_error("BAD_USER_INPUT", r0, "000000000000000000000000")
    assert paths(err) == {"input.menuId"}

    # 84 years old: 500 fen per meal, deducted with the order
    order = await meal.place(r0, lunch["id"])
    assert (order["status"], order["mealPriceFen"], order["subsidyFen"], order["payFen"]) == ("PLACED", 1300, 500, 800)
    assert order["onBehalf"] is False and order["dinerName"]
    status = await meal.subsidy(r0)
    assert (status["usedFen"], status["remainingFen"], status["mealsOrdered"], status["communitySpentFen"]) == \
        (500, 14500, 1, 500)
    assert (await meal.menu_state(lunch["id"]))["orderedCount"] == 1
    for month in ("2030-13", "0001-03", "9999-03"):
        assert paths(await r0.error("BAD_USER_INPUT", q["SUBSIDY"], {"m": month})) == {"month"}
    err = await r0.error("BAD_USER_INPUT", MY_ORDERS, {"a": "\u00e9\u00e9"})
    assert paths(err) == {"after"}
    assert (await meal.subsidy(r2))["eligible"] is False
    await r0.error("NOT_FOUND", q["MENU"], {"id": "000000000000000000000000"})
    err = await meal.place_error("CONFLICT", r0, lunch["id"], kind="PICK_UP")
    assert err["extensions"]["reason"] == "ALREADY_ORDERED" and err["extensions"]["orderId"] == order["id"]

    # others can neither see nor cancel it
    await r1.error("NOT_FOUND", ORDER, {"id": order["id"]})
    await r1.error("FORBIDDEN", q["CANCEL"], {"id": order["id"]})

    # cancellation before the cut-off restores the slot and the subsidy atomically
    cancelled = (await r0.ok(q["CANCEL"], {"id": order["id"]}))["cancelMealOrder"]
    assert cancelled["status"] == "CANCELLED"
    status = await meal.subsidy(r0)
    assert (status["usedFen"], status["mealsOrdered"], status["communitySpentFen"]) == (0, 0, 0)
    assert (await meal.menu_state(lunch["id"]))["orderedCount"] == 0
    err = await r0.error("CONFLICT", q["CANCEL"], {"id": order["id"]})
    assert err["extensions"]["reason"] == "WRONG_STATE"
    assert err["extensions"]["status"] == "CANCELLED"  # as MealOrderStatus spells it

    # delivery: address from the resident record, fee never subsidised
    delivery = await meal.place(r0, lunch["id"], kind="DELIVERY")
    assert (delivery["deliveryAddress"], delivery["deliveryFeeFen"], delivery["totalFen"], delivery["subsidyFen"],
            delivery["payFen"]) == ("3栋2单元502", 200, 1500, 500, 1000)
    no_delivery = (await meal.admin.ok("""mutation { createCanteen(input: {name: "小站", capacityPerMeal: 5,
        deliveryAvailable: false}) { id } }"""))["createCanteen"]["id"]
    small = await meal.menu(no_delivery)
    err = await meal.place_error("BAD_USER_INPUT", r1, small["id"], kind="DELIVERY")
    assert paths(err) == {"input.orderType"}

    # entitlement by age band and tags, capped by the meal's price and per meal
    assert (await meal.place(r1, lunch["id"]))["subsidyFen"] == 600            # 72: 300 + low income 300
    assert (await meal.place(r3, lunch["id"]))["subsidyFen"] == 200            # 44, disabled: 200
    assert (await meal.place(r1, dinner["id"], items=[("d3", 1)]))["subsidyFen"] == 100  # only rice: 100
    err = await meal.place_error("FORBIDDEN", r2, lunch["id"])                 # 40, no tags
    assert err["extensions"]["reason"] == "NOT_ELIGIBLE"
    await meal.configure(openToAllResidents=True, perMealCapFen=400)
    full_price = await meal.place(r2, lunch["id"])
    assert (full_price["subsidyFen"], full_price["payFen"]) == (0, 1300)
    assert (await meal.place(r0, dinner["id"]))["subsidyFen"] == 400           # per-meal cap now 400

    # the cut-off, on the module's clock: no orders, no cancellations after it
    meal.clock.set(datetime(2030, 3, 15, 9, 0, 1))  # naive: China time
    err = await r0.error("CONFLICT", q["CANCEL"], {"id": delivery["id"]})
    assert err["extensions"]["reason"] == "CUTOFF_PASSED"
    err = await meal.place_error("CONFLICT", r3, lunch["id"])
    assert err["extensions"]["reason"] == "CUTOFF_PASSED"
    assert (await meal.place(r3, dinner["id"]))["status"] == "PLACED"          # dinner closes at 14:00
    assert (await meal.subsidy(r0))["usedFen"] == 900
    # a menu published today may set its own cut-off, here already past: nothing can be ordered
    late = await meal.menu(canteen, on=date(2030, 3, 15), meal="BREAKFAST", cutoff_at="2030-03-15T08:00:00")
    err = await meal.place_error("CONFLICT", r1, late["id"])
    assert err["extensions"]["reason"] == "CUTOFF_PASSED"


async def test_guardians_staff_caps_budget_and_idempotency(meal, q):
    rids, admin, gw = meal.rids, meal.admin, meal.gw
    guardian, stranger = await meal.c.resident_client(2), await meal.c.resident_client(3)
    canteen = await meal.canteen(capacity=50)
    lunch, dinner = await meal.menu(canteen), await meal.menu(canteen, meal="DINNER")
    breakfast = await meal.menu(canteen, on=date(2030, 3, 16), meal="BREAKFAST")

    # enrolment: validation and who may enrol
    err = await admin.error("BAD_USER_INPUT", ENROLL, {"i": {"residentId": "nobody",
                                                              "guardianResidentIds": [rids[1], rids[1]]}})
    assert paths(err) == {"input.residentId", "input.guardianResidentIds.1"}
    err = await admin.error("BAD_USER_INPUT", ENROLL, {"i": {"residentId": rids[0], "guardianResidentIds": [rids[0]]}})
    assert paths(err) == {"input.guardianResidentIds.0"}
    await guardian.error("FORBIDDEN", ENROLL, {"i": {"residentId": rids[0]}})
    diner = (await admin.ok(ENROLL, {"i": {"residentId": rids[0], "guardianResidentIds": [rids[2]],
                                           "dietaryNotes": "低盐、软食"}}))["enrollMealDiner"]
    assert (diner["age"], diner["eligible"], diner["perMealSubsidyFen"], diner["deliveryAddress"]) == \
        (84, True, 500, "3栋2单元502")  # ages are on the clock's today (2030-03-14)

    # a registered guardian orders for the diner (who can read it and cancel it); others cannot
    assert (await guardian.ok(MY_DINERS))["myMealDiners"][0]["residentId"] == rids[0]
    for_ward = await meal.place(guardian, lunch["id"], resident_id=rids[0])
    assert (for_ward["residentId"], for_ward["onBehalf"], for_ward["subsidyFen"]) == (rids[0], True, 500)
    assert (await meal.resident.ok(ORDER, {"id": for_ward["id"]}))["mealOrder"]["dietaryNotes"] == "低盐、软食"
    err = await meal.place_error("FORBIDDEN", stranger, dinner["id"], resident_id=rids[0])
    assert "监护人" in err["message"]
    page = (await guardian.ok(MY_ORDERS, {"f": 1}))["myMealOrders"]
    assert nodes(page)[0]["id"] == for_ward["id"] and page["pageInfo"]["hasNextPage"] is False
    assert (await guardian.ok(MY_DINERS))["myMealDiners"][0]["perMealSubsidyFen"] == 500

    listed = (await gw.ok("{ mealDiners { totalCount edges { node { residentId dietaryNotes tags } } } }"))["mealDiners"]
    assert nodes(listed) == [{"residentId": rids[0], "dietaryNotes": "低盐、软食", "tags": ["ELDERLY"]}]
    assert listed["totalCount"] == 1
    err = await gw.error("BAD_USER_INPUT", "{ mealDiners(after: \"%%%\") { totalCount } }")  # not a cursor
    assert paths(err) == {"after"}
    other = await gw.ok("query($g: ID) { mealDiners(gridId: $g) { totalCount edges { node { residentId } } } }",
                        {"g": meal.c.grid_ids[1]})
    assert other == {"mealDiners": {"totalCount": 0, "edges": []}}  # not the worker's grid
    await guardian.error("FORBIDDEN", "{ mealDiners { totalCount } }")

    # the core reports a change to the diner: the guardian's view follows (on_event)
    await admin.ok("""mutation($id: ID!) { updateResident(id: $id, input: {tags: [ELDERLY, LOW_INCOME]}) { id } }""",
                   {"id": rids[0]})
    assert (await guardian.ok(MY_DINERS))["myMealDiners"][0]["perMealSubsidyFen"] == 800
    assert (await meal.place(guardian, dinner["id"], resident_id=rids[0]))["subsidyFen"] == 800

    # a withdrawn enrolment ends the guardian's right to order
    await admin.ok("mutation($r: ID!) { withdrawMealDiner(residentId: $r) { active } }", {"r": rids[0]})
    await meal.place_error("FORBIDDEN", guardian, breakfast["id"], resident_id=rids[0])
    assert (await guardian.ok(MY_DINERS))["myMealDiners"] == []

    # staff order for residents in their scope only
    by_gw = await meal.place(gw, lunch["id"], resident_id=rids[4])
    assert by_gw["onBehalf"] and by_gw["subsidyFen"] == 500
    err = await meal.place_error("BAD_USER_INPUT", gw, lunch["id"], resident_id=rids[5])  # another grid
    assert paths(err) == {"input.residentId"}
    err = await meal.place_error("BAD_USER_INPUT", gw, lunch["id"])
    assert paths(err) == {"input.residentId"}
    assert (await gw.ok(q["CANCEL"], {"id": by_gw["id"]}))["cancelMealOrder"]["status"] == "CANCELLED"
    staff_page = (await gw.ok(MY_ORDERS, {"f": 5}))["myMealOrders"]
    assert [o["id"] for o in nodes(staff_page)] == [by_gw["id"]]

    # the monthly cap per diner: refuse, or accept the reduced subsidy
    await meal.configure(monthlyCapFen=1000)
    r5 = await meal.c.resident_client(5)
    assert (await meal.place(r5, lunch["id"]))["subsidyFen"] == 500
    assert (await meal.place(r5, dinner["id"]))["subsidyFen"] == 500
    err = await meal.place_error("CONFLICT", r5, breakfast["id"], items=[("d1", 1)])
    assert err["extensions"]["reason"] == "MONTHLY_CAP_REACHED"
    assert (err["extensions"]["entitledFen"], err["extensions"]["availableFen"]) == (500, 0)
    reduced = await meal.place(r5, breakfast["id"], items=[("d1", 1)], accept=True)
    assert (reduced["subsidyFen"], reduced["payFen"], reduced["subsidyLimitedBy"]) == (0, 1200, "MONTHLY_CAP_REACHED")

    # the community's monthly budget: the last 300 fen go to exactly one order
    spent = (await meal.subsidy(r5))["communitySpentFen"]
    await meal.configure(monthlyBudgetFen=spent + 300)
    r6, r7 = await meal.c.resident_client(6), await meal.c.resident_client(7)
    err = await meal.place_error("CONFLICT", r6, lunch["id"])
    assert (err["extensions"]["reason"], err["extensions"]["availableFen"]) == ("BUDGET_EXHAUSTED", 300)
    assert (await meal.place(r6, lunch["id"], accept=True))["subsidyFen"] == 300
    last = await meal.place(r7, lunch["id"], accept=True)
    assert (last["subsidyFen"], last["subsidyLimitedBy"]) == (0, "BUDGET_EXHAUSTED")
    assert (await meal.subsidy(r7))["communitySpentFen"] == spent + 300

    # idempotent retries: the same key gives the same order, once; keys are per user
    r8, r9 = await meal.c.resident_client(8), await meal.c.resident_client(9)
    await meal.configure(monthlyBudgetFen=3000000)
    first = await meal.place(r8, dinner["id"], key="retry-key-0001")
    again = await meal.place(r8, dinner["id"], key="retry-key-0001")
    assert again["id"] == first["id"] and again["version"] == first["version"]
    assert (await meal.subsidy(r8))["usedFen"] == 500
    err = await meal.place_error("CONFLICT", r8, dinner["id"], key="retry-key-0001", items=[("d2", 1)])
    assert err["extensions"]["reason"] == "IDEMPOTENCY_KEY_REUSED"
    other = await meal.place(r9, dinner["id"], key="retry-key-0001")
    assert other["id"] != first["id"]
    assert (await meal.menu_state(dinner["id"]))["orderedCount"] == 4  # r0, r5, r8, r9
