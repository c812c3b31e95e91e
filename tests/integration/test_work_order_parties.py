"""A resident's orders are those they submitted and those filed for them (by a grid worker, by a
guardian), found through `parties`: one multikey index range, planned by SecantusDB as by
MongoDB; orders stored before the field existed are backfilled once at start-up."""

from __future__ import annotations

from community_plus.domains.opening import open_domains
from community_plus.domains.identity.auth import principal_of
from community_plus.domains.work_orders.search import visible_filter
from community_plus.platform.access import Scope
from community_plus.platform.upgrades import UpgradeRepository
from workorder_fixtures import SUBMIT, resident1, resident_token  # noqa: F401

MINE = "query { workOrders(first: 20) { totalCount edges { node { id residentId } } } }"
GUARDIANSHIP = """mutation($g: ID!, $w: ID!) { addGuardianship(guardianResidentId: $g, wardResidentId: $w,
  relation: PARENT) { id } }"""


async def _submit(gql, token, **extra) -> str:
    data = await gql.ok(SUBMIT, {"input": {"description": "楼道灯不亮了", **extra}}, token=token)
    return data["submitWorkOrder"]["id"]


async def _mine(gql, token) -> set[str]:
    data = (await gql.ok(MINE, token=token))["workOrders"]
    assert data["totalCount"] == len(data["edges"])
    return {e["node"]["id"] for e in data["edges"]}


async def test_own_filed_for_and_ward_orders_through_one_index_range(gql, world, platform, resident1):
    me = resident1["doc"]
    c1 = me["communityId"]
    grid = (await platform.grids.of_community(c1))[0]["_id"]
    await platform.residents.coll.update_one({"_id": me["_id"]}, {"$set": {"gridId": grid}})
    ward, other = await platform.residents.coll.find({"communityId": c1, "_id": {"$ne": me["_id"]}}).limit(2).to_list()
    await gql.ok(GUARDIANSHIP, {"g": me["_id"], "w": ward["_id"]}, token=await gql.login("admin001"))
    own = await _submit(gql, resident1["token"])
    for_ward = await _submit(gql, resident1["token"], residentId=ward["_id"])
    for_me = await _submit(gql, await gql.login("gw0011"), residentId=me["_id"])
    not_mine = await _submit(gql, await gql.login("admin001"), residentId=other["_id"])

    assert await _mine(gql, resident1["token"]) == {own, for_ward, for_me}
    stored = await platform.work_orders.coll.find_one({"_id": for_ward})
    assert stored["parties"] == [stored["submittedBy"], ward["_id"]]
    assert not_mine not in await _mine(gql, resident1["token"])

    user = await platform.users.coll.find_one({"residentId": me["_id"]})
    flt = visible_filter(Scope(principal=principal_of(user), community_id=c1))
    plan = (await platform.db.command("explain", {"find": "work_orders", "filter": flt, "sort": {"_id": -1},
                                                  "limit": 21}))["queryPlanner"]["winningPlan"]
    assert "COLLSCAN" not in str(plan) and "parties_1__id_-1" in str(plan), plan


async def test_orders_stored_before_parties_are_backfilled_once(gql, world, platform, resident1):
    me = resident1["doc"]
    grid = (await platform.grids.of_community(me["communityId"]))[0]["_id"]
    await platform.residents.coll.update_one({"_id": me["_id"]}, {"$set": {"gridId": grid}})
    own = await _submit(gql, resident1["token"])
    for_me = await _submit(gql, await gql.login("gw0011"), residentId=me["_id"])
    await platform.work_orders.coll.update_many({}, {"$unset": {"parties": ""}})  # as stored by the last release
    upgrades = UpgradeRepository(platform.db)
    await upgrades.coll.delete_many({})
    assert await _mine(gql, resident1["token"]) == set()

    await open_domains(platform)  # what every start-up runs
    assert await _mine(gql, resident1["token"]) == {own, for_me}
    marker = await upgrades.coll.find_one({"_id": "work_orders.parties"})
    assert marker["rows"] == await platform.work_orders.coll.count_documents({}) >= 2

    await platform.work_orders.coll.update_one({"_id": own}, {"$unset": {"parties": ""}})
    await open_domains(platform)  # done once: a later start-up does not scan again
    assert "parties" not in await platform.work_orders.coll.find_one({"_id": own})

    # batch by batch along `_id`: every row reached, only the rows without parties written
    await platform.work_orders.coll.update_many({}, {"$unset": {"parties": ""}})
    await platform.work_orders.coll.update_one({"_id": own}, {"$set": {"parties": ["kept"]}})
    total = await platform.work_orders.coll.count_documents({})
    assert await platform.work_orders.backfill_parties(batch=2) == total - 1
    assert await platform.work_orders.coll.count_documents({"parties": {"$exists": False}}) == 0
    assert (await platform.work_orders.coll.find_one({"_id": own}))["parties"] == ["kept"]
