"""The end-to-end proof, through two server workers (two apps on one database), with the
Python `gql` client's websockets transport, for both feeds (change stream and polling):
a resident submits an order; the grid worker's subscription receives it; the worker
resolves it; the resident's subscription and notification arrive. Scope: a worker of
another community sees none of it."""

from __future__ import annotations

from community_plus.keys import PLATFORM
from community_plus_harness import GraphQLClient
from realtime_fixtures import (both_feeds, workers,  # noqa: F401 (fixtures)
                               ACCEPT, ASSIGN, NOTIFICATION_SUB, RESOLVE, START, SUBMIT, WORK_ORDER_SUB, Stream,
                               gql_session, people, ws_url)


NOTE = "mutation($id: ID!, $n: String!) { addWorkOrderNote(id: $id, note: $n) { id } }"


async def test_order_flow_reaches_every_party_across_two_workers(workers, world):
    a, b = workers
    platform = a.app[PLATFORM]
    assert platform.realtime.feed.mode == platform.settings.realtime_feed
    who = await people(platform, world)
    http_a, http_b = GraphQLClient(a), GraphQLClient(b)
    async with gql_session(ws_url(a), who["worker"]) as worker_ws, \
            gql_session(ws_url(a), who["other_worker"]) as other_ws, \
            gql_session(ws_url(b), who["resident"]) as resident_ws:
        worker_orders = Stream(worker_ws, WORK_ORDER_SUB)
        other_orders = Stream(other_ws, WORK_ORDER_SUB)
        resident_orders = Stream(resident_ws, WORK_ORDER_SUB)
        resident_notes = Stream(resident_ws, NOTIFICATION_SUB)
        await _subscribed(a, 2), await _subscribed(b, 2)

        order = (await http_b.ok(SUBMIT, {"input": {"description": "楼道灯坏了"}}, token=who["resident"]))[
            "submitWorkOrder"]
        got = await worker_orders.wait_for(lambda i: i["workOrderUpdated"]["workOrder"]["id"] == order["id"])
        assert got["workOrderUpdated"]["action"] == "submit" and got["workOrderUpdated"]["previousState"] is None
        assert got["workOrderUpdated"]["workOrder"]["resident"]["id"] == who["resident_doc"]["_id"]

        await http_a.ok(ACCEPT, {"id": order["id"]}, token=who["desk"])
        await http_a.ok(ASSIGN, {"id": order["id"], "a": who["worker_id"]}, token=who["desk"])
        await http_a.ok(START, {"id": order["id"]}, token=who["worker"])
        await http_a.ok(RESOLVE, {"id": order["id"], "n": "已更换灯泡"}, token=who["worker"])

        done = await resident_orders.wait_for(lambda i: i["workOrderUpdated"]["workOrder"]["state"] == "RESOLVED")
        assert done["workOrderUpdated"]["previousState"] == "IN_PROGRESS"
        actions = [i["workOrderUpdated"]["action"] for i in await resident_orders.wait_count(5)]
        assert actions == ["submit", "accept", "assign", "start", "resolve"]  # in order, each once
        note = await resident_notes.wait_for(lambda i: i["notificationReceived"]["notification"]["state"] ==
                                             "待评价")
        assert note["notificationReceived"]["notification"]["page"].endswith(order["id"])
        await worker_orders.wait_count(5)
        await http_a.ok(NOTE, {"id": order["id"], "n": "回访：已正常"}, token=who["desk"])  # not a state change
        noted = await resident_orders.wait_for(lambda i: i["workOrderUpdated"]["action"] == "note")
        assert noted["workOrderUpdated"]["previousState"] == "RESOLVED" == noted["workOrderUpdated"]["workOrder"][
            "state"]

        # the other community's worker: only its own community's order arrives
        theirs = (await http_a.ok(SUBMIT, {"input": {"description": "别处", "residentId": await _resident_of(
            platform, world["grids"][who["c2"]][0]["_id"])}}, token=who["other_desk"]))["submitWorkOrder"]
        first = await other_orders.wait_for(lambda i: True)
        assert first["workOrderUpdated"]["workOrder"]["id"] == theirs["id"]
        assert all(i["workOrderUpdated"]["workOrder"]["id"] == theirs["id"] for i in other_orders.items)
        for stream in (worker_orders, other_orders, resident_orders, resident_notes):
            stream.cancel()


async def _subscribed(client, n: int) -> None:
    """Wait until the worker has `n` live subscriptions (a subscribe is asynchronous)."""
    import asyncio

    hub = client.app[PLATFORM].realtime.hub

    async def until() -> None:
        while len(hub) < n:
            await asyncio.sleep(0.01)

    await asyncio.wait_for(until(), 5)


async def _resident_of(platform, grid_id: str) -> str:
    return (await platform.residents.coll.find_one({"gridId": grid_id, "relation": "self"}))["_id"]
