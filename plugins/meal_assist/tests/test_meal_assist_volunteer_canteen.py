"""A volunteer may deliver for one canteen (`canteenId`, a `fields.Ref` to `Canteen`): checked
on save, shown as the canteen itself, offered only that canteen's deliveries; deleting the
canteen frees the volunteer for every canteen (`on_delete="set_null"`)."""

from __future__ import annotations

VOLUNTEER = """mutation($i: CreateMealVolunteerInput!) { createMealVolunteer(input: $i) { id canteenId
  canteen { name } } }"""
CANDIDATES = "query($id: ID!) { mealDeliveryCandidates(orderId: $id) { kind id } }"
ASSIGN = """mutation($id: ID!, $d: ID!) { assignMealDelivery(id: $id, kind: VOLUNTEER, delivererId: $d) { status } }"""
VOLUNTEERS = "query($c: ID) { mealVolunteers(filter: {canteenId: $c}) { totalCount edges { node { name canteenId } } } }"


async def test_volunteers_deliver_for_their_canteen(meal):
    admin = meal.admin
    home, other = await meal.canteen(), await meal.canteen()
    err = await admin.error("BAD_USER_INPUT", VOLUNTEER, {"i": {"resident": meal.rids[6], "name": "小王",
                                                                "canteenId": "no-such-canteen"}})
    assert [f["path"] for f in err["extensions"]["fields"]] == ["input.canteenId"]
    ours = (await admin.ok(VOLUNTEER, {"i": {"resident": meal.rids[6], "name": "小王", "canteenId": home}}))
    assert ours["createMealVolunteer"]["canteen"] == {"name": "幸福里长者食堂"}
    theirs = (await admin.ok(VOLUNTEER, {"i": {"resident": meal.rids[7], "name": "小李", "canteenId": other}}))
    anyone = (await admin.ok(VOLUNTEER, {"i": {"resident": meal.rids[5], "name": "小张"}}))
    assert anyone["createMealVolunteer"]["canteen"] is None
    ours, theirs, anyone = (v["createMealVolunteer"]["id"] for v in (ours, theirs, anyone))
    assert (await admin.ok(VOLUNTEERS, {"c": home}))["mealVolunteers"]["totalCount"] == 1

    order = await meal.place(meal.resident, (await meal.menu(home))["id"], kind="DELIVERY")
    offered = {c["id"] for c in (await admin.ok(CANDIDATES, {"id": order["id"]}))["mealDeliveryCandidates"]
               if c["kind"] == "VOLUNTEER"}
    assert offered == {ours, anyone}
    err = await admin.error("BAD_USER_INPUT", ASSIGN, {"id": order["id"], "d": theirs})
    assert err["extensions"]["fields"] == [{"path": "delivererId", "message": "不是为本食堂送餐的在册志愿者 "
                                            "(not an active meal volunteer of this canteen)"}]

    # the other canteen closes for good: its volunteer may now deliver for any canteen
    platform_admin = meal.c.client("platform_admin")
    assert (await platform_admin.ok("mutation($id: ID!) { deleteCanteen(id: $id) }", {"id": other}))["deleteCanteen"]
    freed = (await admin.ok(VOLUNTEERS, {"c": None}))["mealVolunteers"]["edges"]
    assert {v["node"]["name"]: v["node"]["canteenId"] for v in freed} == {"小王": home, "小李": None, "小张": None}
    assert (await admin.ok(ASSIGN, {"id": order["id"], "d": theirs}))["assignMealDelivery"]["status"] == "ASSIGNED"
