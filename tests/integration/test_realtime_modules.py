"""Module subscriptions and module switches: the community's module set decides what can
be subscribed to; switching a module off ends its subscriptions and tells
`moduleStateChanged` subscribers (the mini-program refreshes its home)."""

from __future__ import annotations

from community_plus.keys import PLATFORM
from community_plus_harness import GraphQLClient
from realtime_fixtures import both_feeds, workers  # noqa: F401 (fixtures)
from realtime_fixtures import MODULES_SUB, NOTIFICATION_SUB, RawSocket, Stream, gql_session, people, staff_token, ws_url

SET = "mutation($c: ID!, $m: String!, $e: Boolean) { setModuleEnabled(communityId: $c, module: $m, enabled: $e) { name } }"
LIVE_SUB = "subscription($after: String) { liveCheckedIn(after: $after) { cursor note by } }"
CHECK_IN = "mutation($n: String!, $me: Boolean) { liveCheckIn(note: $n, onlyMe: $me) }"
STAFF_NOTICE = "mutation($n: String!) { liveStaffNotice(note: $n) }"


async def test_module_events_are_scoped_and_end_when_the_module_is_switched_off(workers, world):
    a, b = workers
    platform = a.app[PLATFORM]
    who = await people(platform, world)
    admin = await staff_token(platform, "admin")
    http = GraphQLClient(a)
    await http.ok(SET, {"c": who["c1"], "m": "test_live", "e": True}, token=admin)
    async with gql_session(ws_url(b), who["resident"]) as resident_ws, \
            gql_session(ws_url(b), who["worker"]) as worker_ws:
        resident_live = Stream(resident_ws, LIVE_SUB)
        worker_live = Stream(worker_ws, LIVE_SUB)
        resident_home = Stream(resident_ws, MODULES_SUB)
        hub = b.app[PLATFORM].realtime.hub
        await _until(lambda: len(hub) == 3)

        await http.ok(CHECK_IN, {"n": "只给自己", "me": True}, token=who["worker"])  # audience: the worker only
        await http.ok(STAFF_NOTICE, {"n": "仅管理员"}, token=who["desk"])  # permission: community_admin
        await http.ok(CHECK_IN, {"n": "大家好"}, token=who["worker"])
        got = await resident_live.wait_for(lambda i: i["liveCheckedIn"]["note"] == "大家好")
        assert [i["liveCheckedIn"]["note"] for i in resident_live.items] == ["大家好"]
        assert got["liveCheckedIn"]["by"] == who["worker_id"]
        await worker_live.wait_count(2)
        assert [i["liveCheckedIn"]["note"] for i in worker_live.items] == ["只给自己", "大家好"]

        await http.ok(SET, {"c": who["c1"], "m": "test_live", "e": False}, token=admin)
        change = await resident_home.wait_for(lambda i: i["moduleStateChanged"]["change"] == "disabled")
        assert change["moduleStateChanged"] == {"module": "test_live", "change": "disabled", "enabled": False,
                                                 "communityId": who["c1"],
                                                 "enabledModules": change["moduleStateChanged"]["enabledModules"]}
        assert "test_live" not in change["moduleStateChanged"]["enabledModules"]
        error = await resident_live.ended()
        assert error.errors[0]["extensions"] == {"code": "MODULE_DISABLED", "module": "test_live"}
        resident_home.cancel(), worker_live.cancel()

    # a new socket of the community cannot subscribe to it any more: MODULE_DISABLED
    sock = await RawSocket.open(b.session, ws_url(b))
    ack = await sock.init({"accessToken": who["resident"]})
    assert "test_live" not in ack["payload"]["modules"]
    await sock.subscribe("1", LIVE_SUB)
    msg = await sock.receive()
    assert msg["type"] == "error" and msg["payload"][0]["extensions"]["code"] == "MODULE_DISABLED"
    await sock.close()


async def test_a_module_switched_on_is_subscribable_on_an_open_socket(workers, world):
    a, b = workers
    platform = a.app[PLATFORM]
    who = await people(platform, world)
    sock = await RawSocket.open(b.session, ws_url(b))
    await sock.init({"accessToken": who["resident"]})
    await sock.subscribe("home", MODULES_SUB)
    await _until(lambda: len(b.app[PLATFORM].realtime.hub) == 1)
    await GraphQLClient(a).ok(SET, {"c": who["c1"], "m": "test_live", "e": True}, token=await staff_token(platform, "admin"))
    msg = await sock.receive()
    assert msg["payload"]["data"]["moduleStateChanged"]["enabled"] is True
    assert "test_live" in msg["payload"]["data"]["moduleStateChanged"]["enabledModules"]
    await sock.subscribe("live", LIVE_SUB)
    await _until(lambda: len(b.app[PLATFORM].realtime.hub) == 2)
    await GraphQLClient(a).ok(CHECK_IN, {"n": "hi"}, token=who["worker"])
    msg = await sock.receive()
    assert msg["id"] == "live" and msg["payload"]["data"]["liveCheckedIn"]["note"] == "hi"
    # a module's ctx.notify reaches notificationReceived too (every outbox write does)
    await sock.subscribe("notes", NOTIFICATION_SUB)
    await _until(lambda: len(b.app[PLATFORM].realtime.hub) == 3)
    await GraphQLClient(a).ok("mutation { liveNotify(title: \"签到提醒\") }", token=who["resident"])
    msg = await sock.receive()
    assert msg["id"] == "notes" and msg["payload"]["data"]["notificationReceived"]["notification"]["title"] == "签到提醒"
    await sock.close()


async def _until(predicate, timeout: float = 5.0) -> None:
    import asyncio

    async def wait() -> None:
        while not predicate():
            await asyncio.sleep(0.01)

    await asyncio.wait_for(wait(), timeout)
