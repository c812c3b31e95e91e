"""The canteen's day: registered staff see orders by meal and type, serve them, and hand
deliveries to grid workers or volunteers who confirm them."""

from __future__ import annotations

SHEET = """query($c: ID!, $d: Date!) { mealDaySheet(canteenId: $c, date: $d) { canteenName totalOrders meals {
  menu { meal orderedCount } dishCounts { name quantity }
  groups { orderType count doneCount orders { id residentId status deliveryAddress } } } } }"""
ADD_STAFF = """mutation($i: AddCanteenStaffInput!) { addCanteenStaff(input: $i) { id userId canteenId active } }"""
SERVE = "mutation($id: ID!) { markMealOrderServed(id: $id) { status } }"
ASSIGN = """mutation($id: ID!, $k: MealDelivererKind!, $d: ID!) {
  assignMealDelivery(id: $id, kind: $k, delivererId: $d) { status deliverer { kind id name } } }"""
DELIVERED = "mutation($id: ID!) { confirmMealDelivered(id: $id) { status } }"
MY_DELIVERIES = "query($d: Date) { myMealDeliveries(date: $d) { id status deliveryAddress } }"
CANDIDATES = "query($id: ID!) { mealDeliveryCandidates(orderId: $id) { kind id name } }"
VOLUNTEER = """mutation($i: CreateMealVolunteerInput!) { createMealVolunteer(input: $i) { id resident name } }"""


def reason(err: dict) -> str:
    return err["extensions"]["reason"]


async def test_day_sheet_serving_and_deliveries(meal, q, wechat_sent):
    admin, gw = meal.admin, meal.gw
    r = [meal.resident, *[await meal.c.resident_client(i) for i in range(1, 8)]]
    gw_user = await meal.user_id(gw)
    canteen, other_canteen = await meal.canteen(), await meal.canteen()

    # canteen staff are user accounts registered per canteen by the admin
    await gw.error("FORBIDDEN", ADD_STAFF, {"i": {"canteenId": canteen, "userId": gw_user, "name": "王师傅"}})
    err = await admin.error("BAD_USER_INPUT", ADD_STAFF, {"i": {"canteenId": "nope", "userId": " ", "name": ""}})
    assert {f["path"] for f in err["extensions"]["fields"]} == {"input.canteenId", "input.userId", "input.name"}
    staff = (await admin.ok(ADD_STAFF, {"i": {"canteenId": canteen, "userId": gw_user, "name": "王师傅"}}))
    staff_id = staff["addCanteenStaff"]["id"]
    listed = await admin.ok("query($c: ID) { canteenStaff(canteenId: $c) { userId name } }", {"c": canteen})
    assert listed["canteenStaff"] == [{"userId": gw_user, "name": "王师傅"}]

    menu = await meal.menu(canteen)
    eat_in = await meal.place(r[0], menu["id"])
    pick_up = await meal.place(r[1], menu["id"], kind="PICK_UP", items=[("d2", 2)])
    near = await meal.place(r[4], menu["id"], kind="DELIVERY")                   # grid 1, the worker's grid
    far = await meal.place(r[5], menu["id"], kind="DELIVERY", address="5栋1单元101")  # grid 2
    gone = await meal.place(r[3], menu["id"])
    await r[3].ok(q["CANCEL"], {"id": gone["id"]})

    # the day's orders by meal and type, for this canteen's staff only
    await r[0].error("FORBIDDEN", SHEET, {"c": canteen, "d": "2030-03-15"})
    await gw.error("FORBIDDEN", SHEET, {"c": other_canteen, "d": "2030-03-15"})
    sheet = (await gw.ok(SHEET, {"c": canteen, "d": "2030-03-15"}))["mealDaySheet"]
    assert sheet["totalOrders"] == 4 and len(sheet["meals"]) == 1
    lunch = sheet["meals"][0]
    assert lunch["menu"]["orderedCount"] == 4
    assert {g["orderType"]: g["count"] for g in lunch["groups"]} == {"EAT_IN": 1, "PICK_UP": 1, "DELIVERY": 2}
    assert {d["name"]: d["quantity"] for d in lunch["dishCounts"]} == {"清蒸鲈鱼": 3, "米饭": 3, "清炒西兰花": 2}
    delivery_group = next(g for g in lunch["groups"] if g["orderType"] == "DELIVERY")
    assert {o["deliveryAddress"] for o in delivery_group["orders"]} == {"3栋2单元502", "5栋1单元101"}

    # an assigned delivery cancelled before the cut-off: the grid worker is told not to come
    dinner = await meal.menu(canteen, meal="DINNER")
    early = await meal.place(r[3], dinner["id"], kind="DELIVERY")
    await gw.ok(ASSIGN, {"id": early["id"], "k": "GRID_WORKER", "d": gw_user})
    assert (await r[3].ok(q["CANCEL"], {"id": early["id"]}))["cancelMealOrder"]["status"] == "CANCELLED"
    told = await wechat_sent.wait_for(count=2, to=gw_user)  # on WeChat: assigned, then cancelled
    assert [m.state for m in told] == ["已指派", "已取消"] and told[1].title.startswith("送餐取消：")
    assert told[1].page == f"/pages/meal_assist/delivery?id={early['id']}"
    assert told[1].time == "2030-03-14 10:00"  # the module's clock (ctx.now()), in China time

    # serving happens on the meal's day, once
    err = await gw.error("CONFLICT", SERVE, {"id": eat_in["id"]})
    assert reason(err) == "NOT_MEAL_DAY"
    meal.clock.advance(hours=25)  # 2030-03-15 11:00 local
    assert (await gw.ok(SERVE, {"id": eat_in["id"]}))["markMealOrderServed"]["status"] == "SERVED"
    assert reason(await gw.error("CONFLICT", SERVE, {"id": eat_in["id"]})) == "WRONG_STATE"
    assert reason(await r[0].error("CONFLICT", q["CANCEL"], {"id": eat_in["id"]})) == "WRONG_STATE"
    await r[1].error("FORBIDDEN", SERVE, {"id": pick_up["id"]})
    assert (await admin.ok(SERVE, {"id": pick_up["id"]}))["markMealOrderServed"]["status"] == "SERVED"

    # deliveries go to a grid worker of the diner's grid or a registered volunteer
    assert reason(await gw.error("CONFLICT", SERVE, {"id": near["id"]})) == "NOT_ASSIGNED"
    await r[7].error("FORBIDDEN", VOLUNTEER, {"i": {"resident": meal.rids[7], "name": "志愿者小李"}})
    err = await admin.error("BAD_USER_INPUT", VOLUNTEER, {"i": {"resident": "nobody", "name": "x"}})
    assert err["extensions"]["fields"][0]["path"] == "input.resident"
    volunteer = (await admin.ok(VOLUNTEER, {"i": {"resident": meal.rids[7], "name": "志愿者小李"}}))
    volunteer_id = volunteer["createMealVolunteer"]["id"]
    candidates = (await gw.ok(CANDIDATES, {"id": near["id"]}))["mealDeliveryCandidates"]
    assert {(c["kind"], c["id"]) for c in candidates} == {("GRID_WORKER", gw_user), ("VOLUNTEER", volunteer_id)}
    assert reason(await gw.error("CONFLICT", ASSIGN, {"id": eat_in["id"], "k": "VOLUNTEER", "d": volunteer_id})) \
        == "NOT_DELIVERY"
    err = await gw.error("BAD_USER_INPUT", ASSIGN, {"id": far["id"], "k": "GRID_WORKER", "d": gw_user})
    assert err["extensions"]["fields"][0]["path"] == "delivererId"
    assigned = (await gw.ok(ASSIGN, {"id": near["id"], "k": "GRID_WORKER", "d": gw_user}))["assignMealDelivery"]
    assert assigned["status"] == "ASSIGNED" and assigned["deliverer"]["kind"] == "GRID_WORKER"
    await gw.ok(ASSIGN, {"id": far["id"], "k": "VOLUNTEER", "d": volunteer_id})
    # the grid worker got a WeChat subscription message for this assignment too (not the volunteer's)
    told = await wechat_sent.wait_for(count=3, to=gw_user)
    assert [m.state for m in told] == ["已指派", "已取消", "已指派"] and told[2].time == "2030-03-15 11:00"

    # handed over (served), then confirmed by the deliverer
    assert (await gw.ok(SERVE, {"id": near["id"]}))["markMealOrderServed"]["status"] == "OUT_FOR_DELIVERY"
    assert [d["id"] for d in (await gw.ok(MY_DELIVERIES, {"d": "2030-03-15"}))["myMealDeliveries"]] == [near["id"]]
    await r[4].error("FORBIDDEN", DELIVERED, {"id": near["id"]})
    assert (await gw.ok(DELIVERED, {"id": near["id"]}))["confirmMealDelivered"]["status"] == "DELIVERED"
    assert reason(await gw.error("CONFLICT", DELIVERED, {"id": near["id"]})) == "WRONG_STATE"
    assert reason(await gw.error("CONFLICT", ASSIGN, {"id": near["id"], "k": "GRID_WORKER", "d": gw_user})) \
        == "WRONG_STATE"
    mine = (await r[7].ok(MY_DELIVERIES, {}))["myMealDeliveries"]
    assert [(d["id"], d["status"]) for d in mine] == [(far["id"], "ASSIGNED")]
    assert reason(await r[7].error("CONFLICT", DELIVERED, {"id": far["id"]})) == "WRONG_STATE"
    await admin.ok(SERVE, {"id": far["id"]})
    assert (await r[7].ok(DELIVERED, {"id": far["id"]}))["confirmMealDelivered"]["status"] == "DELIVERED"

    sheet = (await gw.ok(SHEET, {"c": canteen, "d": "2030-03-15"}))["mealDaySheet"]
    assert {g["orderType"]: g["doneCount"] for g in sheet["meals"][0]["groups"]} == \
        {"EAT_IN": 1, "PICK_UP": 1, "DELIVERY": 2}
    # the diner sees who delivered; removed staff lose access
    seen = await r[5].ok("query($id: ID!) { mealOrder(id: $id) { status deliverer { kind name } } }", {"id": far["id"]})
    assert seen["mealOrder"] == {"status": "DELIVERED", "deliverer": {"kind": "VOLUNTEER", "name": "志愿者小李"}}
    await admin.ok("mutation($id: ID!) { removeCanteenStaff(id: $id) { active } }", {"id": staff_id})
    await gw.error("FORBIDDEN", SHEET, {"c": canteen, "d": "2030-03-15"})
