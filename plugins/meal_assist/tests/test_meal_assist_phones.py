"""Canteens', volunteers' and canteen staff's phone numbers are encrypted at rest, read back
masked, and revealed in full (audited) only to those who manage them."""

from __future__ import annotations

from datetime import UTC, datetime

from bson import encode

CREATE_CANTEEN = """mutation($i: CreateCanteenInput!) { createCanteen(input: $i) { id phone } }"""
CANTEEN = "query($id: ID!) { canteen(id: $id) { phone } }"
CANTEEN_REVEAL = "query($id: ID!) { canteen(id: $id) { phone(reveal: true) } }"
VOLUNTEER = """mutation($i: CreateMealVolunteerInput!) { createMealVolunteer(input: $i) { id phone } }"""
VOLUNTEERS_REVEAL = "{ mealVolunteers { edges { node { id phone(reveal: true) } } } }"
ADD_STAFF = """mutation($i: AddCanteenStaffInput!) { addCanteenStaff(input: $i) { id phone } }"""


async def test_numbers_are_sealed_masked_and_revealed_to_managers(meal):
    admin = meal.admin
    canteen = (await admin.ok(CREATE_CANTEEN, {"i": {"name": "幸福里长者食堂", "capacityPerMeal": 50,
                                                      "phone": "138 0013 8000"}}))["createCanteen"]
    assert canteen["phone"] == "138****8000"
    volunteer = (await admin.ok(VOLUNTEER, {"i": {"resident": meal.rids[2], "name": "小李",
                                                   "phone": "13911112222"}}))["createMealVolunteer"]
    assert volunteer["phone"] == "139****2222"
    staff = (await admin.ok(ADD_STAFF, {"i": {"canteenId": canteen["id"], "userId": await meal.user_id(meal.gw),
                                              "name": "王师傅", "phone": "13733334444"}}))["addCanteenStaff"]
    assert staff["phone"] == "137****4444"
    db = meal.c.platform.db
    for collection, plain in (("meal_assist__canteens", "13800138000"), ("meal_assist__volunteers", "13911112222"),
                              ("meal_assist__staff", "13733334444")):
        docs = await db[collection].find({"communityId": meal.c.id}).to_list()
        assert docs and all(plain.encode() not in encode(d) for d in docs), f"plaintext number in {collection}"
    # everyone who may read sees the mask; the managers may reveal, and each reveal is audited
    assert (await meal.resident.ok(CANTEEN, {"id": canteen["id"]}))["canteen"]["phone"] == "138****8000"
    await meal.resident.error("FORBIDDEN", CANTEEN_REVEAL, {"id": canteen["id"]})
    assert (await admin.ok(CANTEEN_REVEAL, {"id": canteen["id"]}))["canteen"]["phone"] == "13800138000"
    revealed = (await admin.ok(VOLUNTEERS_REVEAL))["mealVolunteers"]["edges"]
    assert [e["node"]["phone"] for e in revealed] == ["13911112222"]
    reveals = await meal.c.platform.audit.coll.find({"action": "reveal"}).to_list()
    assert sorted(a["entity"] for a in reveals) == ["meal_assist.Canteen", "meal_assist.MealVolunteer"]


async def test_upgrading_from_0_1_seals_numbers_stored_in_plaintext(meal):
    db = meal.c.platform.db
    now = datetime.now(UTC)
    await db["meal_assist__canteens"].insert_one({
        "_id": "legacy-canteen", "communityId": meal.c.id, "name": "老食堂", "phone": "13655556666",
        "capacity_per_meal": 30, "meals": ["lunch"], "delivery_available": False, "active": True, "version": 1,
        "createdAt": now, "updatedAt": now})
    await meal.c.call_hook("meal_assist", "migrate", from_version="0.1.0", to_version="0.2.0")
    doc = await db["meal_assist__canteens"].find_one({"_id": "legacy-canteen"})
    assert b"13655556666" not in encode(doc) and doc["phone"] == "136****6666"
    assert (await meal.admin.ok(CANTEEN_REVEAL, {"id": "legacy-canteen"}))["canteen"]["phone"] == "13655556666"
