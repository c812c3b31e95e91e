"""The family service hall: a guardian sees the ward's eligible services and the ward's detail
(masked, audited); strangers and other communities see nothing."""

from __future__ import annotations

import re

from workorder_fixtures import CREATE_ITEM, SET_STATE, resident_token

ITEMS = """query($f: ServiceItemFilter) { serviceItems(filter: $f, first: 50) {
  totalCount edges { node { id title } } } }"""
RESIDENT = "query($id: ID!) { resident(id: $id) { id name tags phone idNumber } }"
REVEAL = "query($id: ID!) { resident(id: $id) { phone(reveal: true) } }"
ADD = """mutation($g: ID!, $w: ID!) { addGuardianship(guardianResidentId: $g, wardResidentId: $w,
  relation: PARENT) { id } }"""
MASKED = re.compile(r"^1\d{2}\*{4}\d{4}$")


async def _publish(gql, token: str, title: str, eligibility: dict) -> None:
    item = (await gql.ok(CREATE_ITEM, {"input": {"title": title, "kind": "PUBLIC", "eligibility": eligibility}},
                         token=token))["createServiceItem"]
    await gql.ok(SET_STATE, {"id": item["id"], "s": "PUBLISHED"}, token=token)


async def test_guardian_sees_ward_services_and_masked_detail(gql, world, platform):
    c1, c2 = (c["_id"] for c in world["communities"])
    admin1 = await gql.login("admin001")
    ward = await platform.residents.coll.find_one({"communityId": c1, "tags": "elderly", "phoneHash": {"$ne": None}})
    guardian = await platform.residents.coll.find_one({"communityId": c1, "tags": {"$ne": "elderly"},
                                                       "birthDate": {"$lt": ward["birthDate"].replace(year=2000)}})
    for title, elig in (("长者专享", {"tags": ["ELDERLY"]}), ("青年专享", {"ageMax": 17}), ("人人可办", {})):
        await _publish(gql, admin1, title, elig)
    await _publish(gql, await gql.login("admin002"), "二社区长者", {"tags": ["ELDERLY"]})
    token = await resident_token(platform, guardian)

    # Before the guardianship: the ward's services and record are out of reach.
    await gql.error("BAD_USER_INPUT", ITEMS, {"f": {"eligibleOnly": True, "residentId": ward["_id"]}}, token=token)
    await gql.error("NOT_FOUND", RESIDENT, {"id": ward["_id"]}, token=token)

    await gql.ok(ADD, {"g": guardian["_id"], "w": ward["_id"]}, token=admin1)
    data = await gql.ok(ITEMS, {"f": {"eligibleOnly": True, "residentId": ward["_id"]}}, token=token)
    titles = {e["node"]["title"] for e in data["serviceItems"]["edges"]}
    assert {"长者专享", "人人可办"} <= titles and not titles & {"青年专享", "二社区长者"}
    mine = {e["node"]["title"] for e in (await gql.ok(ITEMS, {"f": {"eligibleOnly": True}}, token=token))
            ["serviceItems"]["edges"]}
    assert "长者专享" not in mine  # the guardian's own hall is unchanged

    detail = (await gql.ok(RESIDENT, {"id": ward["_id"]}, token=token))["resident"]
    assert detail["id"] == ward["_id"] and "ELDERLY" in detail["tags"]
    assert MASKED.match(detail["phone"]) and "*" in detail["idNumber"]
    await gql.error("FORBIDDEN", REVEAL, {"id": ward["_id"]}, token=token)  # masked only
    reads = await platform.audit.coll.count_documents({"action": "guardian_read", "entityId": ward["_id"],
                                                       "details.guardianResidentId": guardian["_id"]})
    assert reads >= 2

    # Another resident (no guardianship) and another community's resident: nothing.
    other = await platform.residents.coll.find_one({"communityId": c1, "_id": {"$nin": [ward["_id"], guardian["_id"]]}})
    stranger = await resident_token(platform, other)
    await gql.error("NOT_FOUND", RESIDENT, {"id": ward["_id"]}, token=stranger)
    await gql.error("BAD_USER_INPUT", ITEMS, {"f": {"eligibleOnly": True, "residentId": ward["_id"]}}, token=stranger)
    far = await resident_token(platform, await platform.residents.coll.find_one({"communityId": c2}))
    await gql.error("NOT_FOUND", RESIDENT, {"id": ward["_id"]}, token=far)
    await gql.error("NOT_FOUND", RESIDENT, {"id": ward["_id"]}, token=await gql.login("admin002"))


async def test_a_module_reads_the_guardians_wards(gql, world, platform):
    """`ctx.wards()`: the caller's wards of the context's community, without sealed values."""
    from community_plus_sdk.context import Caller

    c1 = world["communities"][0]["_id"]
    ward = await platform.residents.coll.find_one({"communityId": c1, "tags": "elderly"})
    guardian = await platform.residents.coll.find_one({"communityId": c1, "_id": {"$ne": ward["_id"]}})
    ctx = platform.modules.context(platform, "elder_care", community_id=c1)
    assert await ctx.wards() == []  # a system context has no caller
    ctx.caller = Caller(user_id="guardian", role="resident", name=guardian["name"], community_id=c1,
                        resident_id=guardian["_id"], grid_ids=())
    assert await ctx.wards() == []
    await gql.ok(ADD, {"g": guardian["_id"], "w": ward["_id"]}, token=await gql.login("admin001"))
    wards = await ctx.wards()
    assert [w["_id"] for w in wards] == [ward["_id"]] and wards[0]["name"] == ward["name"]
    assert not [k for k in wards[0] if k.endswith(("Sealed", "Hash"))]
    elsewhere = platform.modules.context(platform, "elder_care", community_id=world["communities"][1]["_id"])
    elsewhere.caller = ctx.caller
    assert await elsewhere.wards() == []  # wards of another community are not this context's
