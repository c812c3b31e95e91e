"""Resuming after a reconnect: `after: <cursor>` replays what was missed, in order, once,
then continues live — on another worker, for both feeds."""

from __future__ import annotations

from community_plus.keys import PLATFORM
from community_plus_harness import GraphQLClient
from realtime_fixtures import (both_feeds, workers,  # noqa: F401 (fixtures)
                               ACCEPT, NOTIFICATION_SUB, SUBMIT, WORK_ORDER_SUB, RawSocket, Stream, gql_session,
                               people, ws_url)


async def test_resume_replays_missed_events_once_in_order(workers, world):
    a, b = workers
    who = await people(a.app[PLATFORM], world)
    http = GraphQLClient(a)
    submit = {"input": {"description": "门禁失灵"}}
    async with gql_session(ws_url(a), who["desk"]) as desk:
        first = Stream(desk, WORK_ORDER_SUB)
        order1 = (await http.ok(SUBMIT, submit, token=who["resident"]))["submitWorkOrder"]
        seen = await first.wait_for(lambda i: i["workOrderUpdated"]["workOrder"]["id"] == order1["id"])
        first.cancel()
    cursor = seen["workOrderUpdated"]["cursor"]
    # while the desk is away: two more changes
    order2 = (await http.ok(SUBMIT, submit, token=who["resident"]))["submitWorkOrder"]
    await http.ok(ACCEPT, {"id": order1["id"]}, token=who["desk"])
    async with gql_session(ws_url(b), who["desk"]) as desk:  # back, on the other worker
        again = Stream(desk, WORK_ORDER_SUB, {"after": cursor})
        items = await again.wait_count(2)
        missed = [(i["workOrderUpdated"]["workOrder"]["id"], i["workOrderUpdated"]["action"]) for i in items]
        assert missed == [(order2["id"], "submit"), (order1["id"], "accept")]
        order3 = (await http.ok(SUBMIT, submit, token=who["resident"]))["submitWorkOrder"]
        live = await again.wait_for(lambda i: i["workOrderUpdated"]["workOrder"]["id"] == order3["id"])
        assert len(again.items) == 3 and live is again.items[2]  # nothing twice, nothing skipped
        cursors = [i["workOrderUpdated"]["cursor"] for i in again.items]
        assert len(set(cursors)) == 3 and cursor not in cursors
        again.cancel()


async def test_a_bad_or_foreign_cursor_is_bad_user_input(workers, world):
    a, _ = workers
    who = await people(a.app[PLATFORM], world)
    sock = await RawSocket.open(a.session, ws_url(a))
    await sock.init({"accessToken": who["resident"]})
    await sock.subscribe("1", NOTIFICATION_SUB, {"after": "not-a-cursor"})
    msg = await sock.receive()
    assert msg["type"] == "next" and msg["payload"]["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert msg["payload"]["errors"][0]["extensions"]["fields"][0]["path"] == "after"
    assert (await sock.receive())["type"] == "complete"
    await sock.close()
