"""`auditEntries`: the read-only audit trail for admins, scoped like every other read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from community_plus.platform.repository import new_id

ENTRIES = """query($f: AuditFilter, $first: Int! = 20, $after: String) {
  auditEntries(filter: $f, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { id at action entity entityId communityId regionPath fields actorId actorRole actorName
                          requestId details } } } }"""
UPDATE = "mutation($id: ID!, $name: String!) { updateResident(id: $id, input: {name: $name}) { id } }"
REVEAL = "query($id: ID!) { resident(id: $id) { phone(reveal: true) } }"
SET_ENABLED = """mutation($c: ID!, $m: String!, $e: Boolean) {
  setModuleEnabled(communityId: $c, module: $m, enabled: $e) { enabled } }"""


async def _resident(platform, community_id: str) -> dict:
    return await platform.residents.coll.find_one({"communityId": community_id, "phoneMasked": {"$ne": None}},
                                                  sort=[("_id", 1)])


async def _nodes(gql, token, f=None, first=20, headers=None) -> list[dict]:
    data = await gql.ok(ENTRIES, {"f": f, "first": first}, token=token, headers=headers)
    return [e["node"] for e in data["auditEntries"]["edges"]]


async def test_community_admins_read_their_own_community_only(gql, world, platform):
    c1, c2 = (c["_id"] for c in world["communities"])
    r1, r2 = await _resident(platform, c1), await _resident(platform, c2)
    t1, t2 = await gql.login("admin001"), await gql.login("admin002")
    await gql.ok(UPDATE, {"id": r1["_id"], "name": "张改名"}, token=t1)
    await gql.ok(REVEAL, {"id": r1["_id"]}, token=t1)
    await gql.ok(UPDATE, {"id": r2["_id"], "name": "李改名"}, token=t2)

    mine = await _nodes(gql, t1)
    assert [(n["action"], n["entityId"]) for n in mine] == [("reveal", r1["_id"]), ("update", r1["_id"])]
    assert {n["communityId"] for n in mine} == {c1}
    update = mine[1]
    assert update["entity"] == "resident" and update["fields"] == ["name"]
    assert update["actorRole"] == "COMMUNITY_ADMIN" and update["actorName"] and update["requestId"]
    assert update["regionPath"][-1] == c1
    # no values are ever exposed: only field names
    assert "张改名" not in str(mine)

    theirs = await _nodes(gql, t2)
    assert [(n["action"], n["entityId"]) for n in theirs] == [("update", r2["_id"])]


async def test_filters_and_pagination(gql, world, platform):
    c1 = world["communities"][0]["_id"]
    grid = world["grids"][c1][0]["_id"]
    r1 = await platform.residents.coll.find_one({"communityId": c1, "gridId": grid, "phoneMasked": {"$ne": None}})
    admin = await gql.login("admin001")
    worker = await gql.login("gw0011")
    for i in range(3):
        await gql.ok(UPDATE, {"id": r1["_id"], "name": f"改名{i}"}, token=admin)
    await gql.ok(REVEAL, {"id": r1["_id"]}, token=worker)
    me = (await gql.ok("{ me { id } }", token=admin))["me"]["id"]

    assert len(await _nodes(gql, admin, {"action": "update"})) == 3
    assert [n["action"] for n in await _nodes(gql, admin, {"action": "reveal"})] == ["reveal"]
    assert len(await _nodes(gql, admin, {"entityId": r1["_id"]})) == 4
    assert await _nodes(gql, admin, {"entityId": "no-such-record"}) == []
    by_admin = await _nodes(gql, admin, {"actorId": me})
    assert len(by_admin) == 3 and {n["actorId"] for n in by_admin} == {me}

    now = datetime.now(UTC)
    assert len(await _nodes(gql, admin, {"since": (now - timedelta(minutes=5)).isoformat()})) == 4
    assert await _nodes(gql, admin, {"since": (now + timedelta(minutes=5)).isoformat()}) == []
    assert await _nodes(gql, admin, {"until": (now - timedelta(minutes=5)).isoformat()}) == []
    err = await gql.error("BAD_USER_INPUT", ENTRIES, {"f": {"since": now.isoformat(),
                                                            "until": (now - timedelta(hours=1)).isoformat()}},
                          token=admin)
    assert err["extensions"]["fields"][0]["path"] == "filter.since"

    # keyset pagination, newest first, no gaps or repeats
    page1 = (await gql.ok(ENTRIES, {"first": 3}, token=admin))["auditEntries"]
    assert page1["totalCount"] == 4 and page1["pageInfo"]["hasNextPage"]
    page2 = (await gql.ok(ENTRIES, {"first": 3, "after": page1["pageInfo"]["endCursor"]}, token=admin))["auditEntries"]
    assert not page2["pageInfo"]["hasNextPage"]
    ids = [e["node"]["id"] for e in page1["edges"] + page2["edges"]]
    assert len(set(ids)) == 4
    ats = [e["node"]["at"] for e in page1["edges"] + page2["edges"]]
    assert ats == sorted(ats, reverse=True)


async def test_region_admin_reads_the_subtree_and_can_narrow_it(gql, world, platform):
    c1, c2 = (c["_id"] for c in world["communities"])
    city = world["communities"][0]["path"][1]
    await gql.ok(UPDATE, {"id": (await _resident(platform, c1))["_id"], "name": "甲"}, token=await gql.login("admin001"))
    await gql.ok(UPDATE, {"id": (await _resident(platform, c2))["_id"], "name": "乙"}, token=await gql.login("admin002"))
    region = await gql.login("nanjing")
    # a decision for the whole city (no community of its own)
    await gql.ok(SET_ENABLED, {"c": city, "m": "test_notices", "e": True}, token=region)
    # an entry written without a region path (module data) still belongs to its community
    await platform.audit.append({"_id": new_id(), "at": datetime.now(UTC), "action": "create",
                                 "entity": "test_notices.notice", "entityId": "n1", "communityId": c2,
                                 "regionPath": [], "fields": ["title"], "actorId": "x", "actorRole": "grid_worker",
                                 "actorName": "网格员", "requestId": "r"})
    # outside the subtree: never visible
    await platform.audit.append({"_id": new_id(), "at": datetime.now(UTC), "action": "update", "entity": "resident",
                                 "entityId": "far", "communityId": "999999", "regionPath": ["990000", "999999"],
                                 "fields": ["name"], "actorId": "y", "actorRole": "community_admin",
                                 "actorName": "外地", "requestId": "r2"})

    nodes = await _nodes(gql, region)
    assert {n["entityId"] for n in nodes} >= {f"{city}:test_notices", "n1"}
    assert "far" not in {n["entityId"] for n in nodes}
    assert {n["communityId"] for n in nodes} == {c1, c2, None}
    module_entry = next(n for n in nodes if n["entity"] == "module")
    assert module_entry["action"] == "set_module_enabled" and module_entry["details"] == {"enabled": True}

    one = await _nodes(gql, region, headers={"X-Community-Id": c1})
    assert one and {n["communityId"] for n in one} == {c1}

    # the platform admin sees everything, including other provinces
    everything = await _nodes(gql, await gql.login("admin"), first=100)
    assert "far" in {n["entityId"] for n in everything}


async def test_only_admins_read_the_trail_and_nobody_can_change_it(gql, world):
    await gql.error("UNAUTHENTICATED", ENTRIES)
    await gql.error("FORBIDDEN", ENTRIES, token=await gql.login("gw0011"))
    schema = await gql.ok("{ __schema { mutationType { fields { name } } } }", token=await gql.login("admin001"))
    assert not [f["name"] for f in schema["__schema"]["mutationType"]["fields"] if "audit" in f["name"].lower()]
