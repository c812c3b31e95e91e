"""Scope isolation between communities and grids: NOT_FOUND for reads and writes alike (no oracle)."""

from __future__ import annotations

RESIDENTS = "{ residents(first: 100) { totalCount edges { node { id communityId gridId } } } }"
RESIDENT = "query($id: ID!) { resident(id: $id) { id name } }"
UPDATE = "mutation($id: ID!) { updateResident(id: $id, input: {name: \"改名\"}) { name } }"


async def _ids(platform, community_id, grid_id=None):
    f = {"communityId": community_id, **({"gridId": grid_id} if grid_id else {})}
    return [d["_id"] async for d in platform.residents.coll.find(f, {"_id": 1})]


async def test_community_admins_are_isolated(gql, world, platform):
    c1, c2 = (c["_id"] for c in world["communities"])
    t1 = await gql.login("admin001")
    data = await gql.ok(RESIDENTS, token=t1)
    assert data["residents"]["totalCount"] == 12
    assert {e["node"]["communityId"] for e in data["residents"]["edges"]} == {c1}
    other = (await _ids(platform, c2))[0]
    await gql.error("NOT_FOUND", RESIDENT, {"id": other}, token=t1)
    await gql.error("NOT_FOUND", UPDATE, {"id": other}, token=t1)  # no existence oracle
    await gql.error("NOT_FOUND", "query($id: ID!) { community(id: $id) { name } }", {"id": c2}, token=t1)
    # own community works
    own = (await _ids(platform, c1))[0]
    assert (await gql.ok(RESIDENT, {"id": own}, token=t1))["resident"]["id"] == own


async def test_grid_workers_see_their_grids_only(gql, world, platform):
    c1 = world["communities"][0]["_id"]
    g1, g2 = (g["_id"] for g in world["grids"][c1])
    token = await gql.login("gw0011")
    data = await gql.ok(RESIDENTS, token=token)
    assert data["residents"]["totalCount"] == len(await _ids(platform, c1, g1))
    assert {e["node"]["gridId"] for e in data["residents"]["edges"]} == {g1}
    other_grid = (await _ids(platform, c1, g2))[0]
    await gql.error("NOT_FOUND", RESIDENT, {"id": other_grid}, token=token)
    await gql.error("NOT_FOUND", UPDATE, {"id": other_grid}, token=token)
    await gql.error("NOT_FOUND", "query($id: ID!) { grid(id: $id) { name } }", {"id": g2}, token=token)
    grids = await gql.ok("{ grids { totalCount edges { node { id } } } }", token=token)
    assert [e["node"]["id"] for e in grids["grids"]["edges"]] == [g1]


async def test_region_admin_sees_subtree_and_picks_community(gql, world):
    c1, c2 = (c["_id"] for c in world["communities"])
    token = await gql.login("nanjing")
    assert (await gql.ok(RESIDENTS, token=token))["residents"]["totalCount"] == 24
    one = await gql.ok(RESIDENTS, token=token, headers={"X-Community-Id": c2})
    assert {e["node"]["communityId"] for e in one["residents"]["edges"]} == {c2}
    communities = await gql.ok("{ communities { totalCount } }", token=token)
    assert communities["communities"]["totalCount"] == 2


async def test_x_community_id_outside_scope_is_forbidden(gql, world):
    c2 = world["communities"][1]["_id"]
    token = await gql.login("admin001")
    await gql.error("FORBIDDEN", RESIDENTS, token=token, headers={"X-Community-Id": c2})
    await gql.error("FORBIDDEN", RESIDENTS, token=token, headers={"X-Community-Id": "no-such-community"})


async def test_regions_visible_to_community_admin(gql, world):
    token = await gql.login("admin001")
    top = await gql.ok("{ regions { id name level } }", token=token)
    assert [r["level"] for r in top["regions"]] == ["PROVINCE"]
    admin = await gql.login("admin")
    data = await gql.ok("query($p: ID) { regions(parentId: $p) { name level } }", {"p": "320100"}, token=admin)
    assert {r["level"] for r in data["regions"]} == {"DISTRICT"}
