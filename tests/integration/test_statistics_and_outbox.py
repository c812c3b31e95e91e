"""Statistics checked against values computed independently, constant command counts for
work-order lists, and outbox delivery semantics."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from community_plus.demo.services import seed_service_items, seed_work_orders
from community_plus.domains.notifications.service import PermanentDeliveryError, deliver_due
from workorder_fixtures import SUBMIT, resident1  # noqa: F401

STATS = """query($c: ID, $r: ID, $g: ID, $since: DateTime) { statistics(communityId: $c, regionId: $r, gridId: $g, since: $since) {
  total byState { key count } byItem { key title count } byPriorityGroup { key count } resolvedCount
  handlingHoursMedian handlingHoursP90 averageRating ratedCount overdueCount overdueShare } }"""


def nearest_rank(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p * len(ordered)) - 1)]


async def _seed_orders(platform, world, n=60):
    items = await seed_service_items(platform, world["communities"])
    for c in world["communities"]:
        await seed_work_orders(platform, c, items[c["_id"]], n)


def expected(docs, now):
    counted = [d for d in docs if d["state"] not in ("rejected", "cancelled")]
    hours = [(d["resolvedAt"] - d["createdAt"]).total_seconds() / 3600 for d in docs if d.get("resolvedAt")]
    ratings = [d["rating"]["score"] for d in docs if d.get("rating")]
    late = [d for d in counted if (d.get("resolvedAt") or now) > d["dueAt"]]
    groups: dict[str, int] = {}
    for d in docs:
        for t in d["residentTags"]:
            groups[t.upper()] = groups.get(t.upper(), 0) + 1  # keys as the ResidentTag enum spells them
    states: dict[str, int] = {}
    for d in docs:
        states[d["state"].upper()] = states.get(d["state"].upper(), 0) + 1  # as WorkOrderState spells them
    return {"total": len(docs), "states": states, "hours": hours, "ratings": ratings, "late": len(late),
            "counted": len(counted), "groups": groups}


async def test_statistics_match_independent_computation(gql, world, platform):
    await _seed_orders(platform, world)
    since = datetime.now(UTC) - timedelta(days=45)
    c1 = world["communities"][0]["_id"]
    token = await gql.login("admin001")
    got = (await gql.ok(STATS, {"since": since.isoformat()}, token=token))["statistics"]
    now = datetime.now(UTC)
    docs = await platform.work_orders.coll.find({"communityId": c1, "createdAt": {"$gte": since}}).to_list()
    exp = expected(docs, now)
    assert got["total"] == exp["total"] > 0
    assert {s["key"]: s["count"] for s in got["byState"]} == exp["states"]
    assert got["resolvedCount"] == len(exp["hours"])
    assert math.isclose(got["handlingHoursMedian"], nearest_rank(exp["hours"], 0.5), rel_tol=1e-6)
    assert math.isclose(got["handlingHoursP90"], nearest_rank(exp["hours"], 0.9), rel_tol=1e-6)
    assert math.isclose(got["averageRating"], sum(exp["ratings"]) / len(exp["ratings"]))
    assert got["ratedCount"] == len(exp["ratings"])
    assert got["overdueCount"] == exp["late"]
    assert math.isclose(got["overdueShare"], exp["late"] / exp["counted"])
    assert {g["key"]: g["count"] for g in got["byPriorityGroup"]} == exp["groups"]
    assert sum(i["count"] for i in got["byItem"]) == exp["total"]
    # the region subtree adds up both communities
    region = await gql.login("nanjing")
    both = (await gql.ok(STATS, {"r": "320100", "since": since.isoformat()}, token=region))["statistics"]
    all_docs = await platform.work_orders.coll.find({"createdAt": {"$gte": since}}).to_list()
    assert both["total"] == len(all_docs)
    # scope: a community admin cannot ask for another community or the city
    await gql.error("NOT_FOUND", STATS, {"c": world["communities"][1]["_id"]}, token=token)
    await gql.error("NOT_FOUND", STATS, {"r": "320100"}, token=token)
    worker = await gql.login("gw0011")
    g1 = world["grids"][c1][0]["_id"]
    mine = (await gql.ok(STATS, {"since": since.isoformat()}, token=worker))["statistics"]
    assert mine["total"] == await platform.work_orders.coll.count_documents({"gridId": g1, "createdAt": {"$gte": since}})
    await gql.error("BAD_USER_INPUT", STATS, {"since": (now + timedelta(days=1)).isoformat()}, token=token)


LIST = """{ workOrders(first: 50) { totalCount edges { node { id title state overdue
  item { title kind } grid { name } assignee { name phone } resident { name phone } timeline { action } } } } }"""


async def test_listing_work_orders_issues_constant_commands(gql, world, platform, command_counter):
    await _seed_orders(platform, world, n=60)
    token = await gql.login("admin001")
    await gql.ok("{ me { name } }", token=token)  # warm the per-community module cache
    counts = []
    for first in (5, 50):
        data, commands = await command_counter.run(gql, LIST.replace("first: 50", f"first: {first}"), token=token)
        assert len(data["workOrders"]["edges"]) == first
        counts.append(sorted(commands))
    assert counts[0] == counts[1]
    assert len(counts[1]) == 6, counts[1]  # page, count, items, grids, assignees, residents


class RecordingSender:
    def __init__(self, fail_with: Exception | None = None) -> None:
        self.sent: list[dict] = []
        self.fail_with = fail_with

    async def send(self, message):
        if self.fail_with:
            raise self.fail_with
        self.sent.append(message)


@pytest.mark.no_background_jobs  # the test delivers the outbox itself: the app's loop would race it
async def test_outbox_messages_are_written_with_the_change(gql, world, platform, resident1):
    assert platform.settings.background_jobs is False
    order = (await gql.ok(SUBMIT, {"input": {"description": "路灯坏了"}}, token=resident1["token"]))["submitWorkOrder"]
    admin = await gql.login("admin001")
    await gql.ok("mutation($id: ID!) { acceptWorkOrder(id: $id) { state } }", {"id": order["id"]}, token=admin)
    await gql.ok("mutation($id: ID!) { assignWorkOrder(id: $id) { state } }", {"id": order["id"]}, token=admin)
    msgs = await platform.outbox.coll.find({"aggregateId": order["id"]}).sort("_id", 1).to_list()
    assert [m["event"] for m in msgs] == ["new->submitted", "submitted->accepted", "accepted->assigned",
                                          "accepted->assigned"]
    assert msgs[-1]["recipientUserId"] != msgs[0]["recipientUserId"]  # the assigned worker is told too
    # delivery happens after the request, with retries; 43101-like failures are recorded, not retried
    await platform.outbox.coll.update_many({}, {"$set": {"state": "pending", "nextAttemptAt": datetime.now(UTC)}})
    sender = RecordingSender()
    assert await deliver_due(platform, sender) == 4
    assert len(sender.sent) == 4
    assert await platform.outbox.coll.count_documents({"state": "sent"}) == 4
    await platform.outbox.coll.update_many({}, {"$set": {"state": "pending", "attempts": 0, "nextAttemptAt": datetime.now(UTC)}})
    await deliver_due(platform, RecordingSender(PermanentDeliveryError("no_grant", "43101")))
    assert await platform.outbox.coll.count_documents({"state": "no_grant"}) == 4
    await platform.outbox.coll.update_many({}, {"$set": {"state": "pending", "attempts": 0, "nextAttemptAt": datetime.now(UTC)}})
    await deliver_due(platform, RecordingSender(ConnectionError("network down")))
    retried = await platform.outbox.coll.find({}).to_list()
    assert all(m["state"] == "pending" and m["nextAttemptAt"] > datetime.now(UTC) and m["attempts"] == 1 for m in retried)


async def test_inbox_unread_count_and_mark_read(gql, world, platform, resident1):
    token = resident1["token"]
    order = (await gql.ok('mutation { submitWorkOrder(input: {description: "电梯停了"}) { id } }', token=token))
    admin = await gql.login("admin001")
    await gql.ok("mutation($id: ID!) { acceptWorkOrder(id: $id) { state } }", {"id": order["submitWorkOrder"]["id"]},
                 token=admin)
    home = await gql.ok("{ unreadNotificationCount myNotifications(first: 5) { edges { node { id title state read page } } } }",
                        token=token)
    assert home["unreadNotificationCount"] == 2
    nodes = [e["node"] for e in home["myNotifications"]["edges"]]
    assert [n["state"] for n in nodes] == ["已受理", "已提交"] and nodes[0]["title"] == "问题上报"
    assert (await gql.ok("mutation($ids: [ID!]) { markNotificationsRead(ids: $ids) }", {"ids": [nodes[0]["id"]]},
                         token=token))["markNotificationsRead"] == 1
    assert (await gql.ok("{ unreadNotificationCount }", token=token))["unreadNotificationCount"] == 1
    assert (await gql.ok("mutation { markNotificationsRead }", token=token))["markNotificationsRead"] == 1
    assert (await gql.ok("{ unreadNotificationCount }", token=admin))["unreadNotificationCount"] == 0  # own only


async def test_statistics_keys_and_scope_as_the_schema_spells_them(gql, world, platform):
    await _seed_orders(platform, world, n=20)
    token = await gql.login("admin001")
    q = """query($s: DateTime, $u: DateTime) { statistics(since: $s, until: $u) { scope byState { key }
      byPriorityGroup { key } } }"""
    stats = (await gql.ok(q, {"s": (datetime.now(UTC) - timedelta(days=45)).isoformat()}, token=token))["statistics"]
    assert stats["scope"] == "COMMUNITY"
    state_names = {"SUBMITTED", "ACCEPTED", "ASSIGNED", "IN_PROGRESS", "RESOLVED", "CLOSED", "REJECTED", "CANCELLED"}
    assert stats["byState"] and {s["key"] for s in stats["byState"]} <= state_names
    assert stats["byPriorityGroup"] and all(g["key"].isupper() for g in stats["byPriorityGroup"])
    worker = await gql.login("gw0011")
    assert (await gql.ok(q, {}, token=worker))["statistics"]["scope"] == "GRID"
    # a time without an offset is UTC (it was a TypeError comparing naive and aware times)
    naive = (datetime.now(UTC) - timedelta(days=3)).replace(tzinfo=None).isoformat()
    assert (await gql.ok(q, {"s": naive}, token=token))["statistics"]["scope"] == "COMMUNITY"
    # the ends of the calendar cannot overflow the window arithmetic any more
    for args, path in (({"u": "0001-01-05T00:00:00Z"}, "until"), ({"s": "0001-01-01T00:00:00+08:00"}, "since")):
        err = await gql.error("BAD_USER_INPUT", q, args, token=token)
        assert [f["path"] for f in err["extensions"]["fields"]] == [path]
    modules = "query($s: DateTime, $u: DateTime) { moduleStatistics(since: $s, until: $u) { module } }"
    err = await gql.error("BAD_USER_INPUT", modules, {"s": "1990-01-01T00:00:00Z", "u": "2020-01-01T00:00:00Z"},
                          token=token)
    assert [f["path"] for f in err["extensions"]["fields"]] == ["since"]


async def test_notification_pages_are_absolute(gql, world, platform, resident1):
    """`wx.navigateTo` needs `/pages/...`; the inbox gave `pages/...`."""
    token = resident1["token"]
    order = (await gql.ok(SUBMIT, {"input": {"description": "路灯坏了"}}, token=token))["submitWorkOrder"]
    page = (await gql.ok("{ myNotifications { edges { node { page } } } }", token=token))["myNotifications"]
    assert page["edges"][0]["node"]["page"] == f"/pages/work-orders/detail?id={order['id']}"
    stored = await platform.outbox.coll.find_one({"aggregateId": order["id"]})
    assert stored["page"].startswith("/pages/")
    # every writer goes through the outbox, which stores the absolute form and refuses non-pages
    base = {**{k: v for k, v in stored.items() if k != "_id"}, "aggregateId": "x"}
    await platform.outbox.insert_many([{**base, "_id": "m1", "page": "pages/elder_care/order?id=1"}])
    assert (await platform.outbox.coll.find_one({"_id": "m1"}))["page"] == "/pages/elder_care/order?id=1"
    for bad in ("https://example.com/", "../pages/x", "/pages/", "index?a=1"):
        try:
            await platform.outbox.insert_many([{**base, "_id": "m2", "page": bad}])
        except ValueError:
            continue
        raise AssertionError(f"{bad!r} was accepted as a page")
    # rows written before pages were normalised read back absolute as well
    await platform.outbox.coll.update_one({"aggregateId": order["id"]}, {"$set": {"page": "pages/work-orders/detail"}})
    page = (await gql.ok("{ myNotifications { edges { node { page } } } }", token=token))["myNotifications"]
    assert {e["node"]["page"] for e in page["edges"]} >= {"/pages/work-orders/detail"}
