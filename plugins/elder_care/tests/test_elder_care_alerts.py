"""Overdue check-ins raise exactly one alert for the elder's grid workers (`run_periodic`),
shown in `careAlerts` and the dashboard (`dashboard_statistics`); demo data
(`seed_demo_data`) is idempotent and usable."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from community_plus_sdk.clock import CHINA

ALERTS = "{ careAlerts { totalCount edges { node { id state orderId elderName gridId overdueMinutes } } } }"
ACK = "mutation($id: ID!, $n: String) { acknowledgeCareAlert(id: $id, note: $n) { state note acknowledgedByName } }"


async def test_overdue_check_in_alerts_once(care, wechat_sent):
    overdue = await care.dispatched(minutes=5)
    second = await care.community.resident_client(5)  # another care worker, on time
    checked_in = await care.place(minutes=5, category="companionship")
    await care.admin.ok(care.DISPATCH, {"id": checked_in["id"], "w": await care.add_worker(second, name="刘护理")})
    await second.ok(care.CHECK_IN, {"i": {"orderId": checked_in["id"], "longitude": care.NEAR[0],
                                          "latitude": care.NEAR[1]}})
    cancelled = await care.place(minutes=5, category="bathing")
    await care.elder.ok(care.CANCEL, {"id": cancelled["id"]})
    not_yet = await care.place(minutes=120, category="bathing")

    start = datetime.fromisoformat(overdue["slotStart"])
    assert await care.call_hook("run_periodic", now=start + timedelta(minutes=20)) == 0  # within the tolerance
    await care.community.set_module("elder_care", False)  # switched off: no alerts there
    assert await care.call_hook("run_periodic", now=start + timedelta(minutes=40)) == 0
    await care.community.set_module("elder_care", True)
    raised = await asyncio.gather(*[care.call_hook("run_periodic", now=start + timedelta(minutes=40))
                                    for _ in range(3)])  # several workers scan at once
    assert sum(raised) == 1
    assert await care.call_hook("run_periodic", now=start + timedelta(minutes=45)) == 0

    alerts = (await care.gw1.ok(ALERTS))["careAlerts"]
    assert alerts["totalCount"] == 1
    alert = alerts["edges"][0]["node"]
    assert alert["orderId"] == overdue["id"] and alert["state"] == "OPEN" and alert["overdueMinutes"] >= 35
    assert alert["gridId"] == care.community.grid_ids[0]
    assert (await care.gw2.ok(ALERTS))["careAlerts"]["totalCount"] == 0  # another grid's worker
    await care.elder.error("FORBIDDEN", ALERTS)
    assert (await care.admin.ok(care.ORDER, {"id": overdue["id"]}))["careOrder"]["overdue"] is True
    for other in (checked_in, not_yet):
        assert (await care.admin.ok(care.ORDER, {"id": other["id"]}))["careOrder"]["overdue"] is False

    [alerted] = await wechat_sent.wait_for(count=1, to=care.gw1)  # the elder's grid worker, once, on WeChat
    local = start.astimezone(CHINA)
    assert alerted.state == "逾期未签到" and alerted.page == "/pages/elder_care/alerts"
    assert alerted.title.endswith(f"{local:%H:%M}的上门服务未签到") and len(alerted.title) <= 20

    await care.gw2.error("NOT_FOUND", ACK, {"id": alert["id"]})
    handled = (await care.gw1.ok(ACK, {"id": alert["id"], "n": "已电话联系护理员，改为14:30到达"}))
    assert handled["acknowledgeCareAlert"]["state"] == "ACKNOWLEDGED"
    await care.admin.error("CONFLICT", ACK, {"id": alert["id"]})
    # the late worker still checks in (the lateness is recorded)
    late = await care.gw2.ok(care.CHECK_IN, {"i": {"orderId": overdue["id"], "longitude": care.NEAR[0],
                                                   "latitude": care.NEAR[1]}})
    assert late["checkInCareVisit"]["state"] == "IN_SERVICE" and late["checkInCareVisit"]["checkIn"]["lateMinutes"] == 0
    await care.gw2.ok(care.CHECK_OUT, {"i": {"orderId": overdue["id"], "longitude": care.NEAR[0],
                                             "latitude": care.NEAR[1], "summary": "保洁完成"}})

    window = {"s": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
              "u": (start + timedelta(hours=1)).isoformat()}  # the scan ran at a simulated later time
    stats = (await care.admin.ok("query($s: DateTime, $u: DateTime) { moduleStatistics(since: $s, until: $u) { "
                                 "module key value } }", window))["moduleStatistics"]
    figures = {s["key"]: s["value"] for s in stats if s["module"] == "elder_care"}
    assert figures["overdue_visits"] == 1 and figures["orders"] == 4 and figures["cancelled_orders"] == 1
    assert figures["average_rating"] is None


async def test_demo_data_is_idempotent(care):
    count = "{ careProviders { totalCount } careServiceItems { totalCount } careWorkers { totalCount } }"
    before = await care.admin.ok(count)
    for _ in range(2):
        await care.call_hook("seed_demo_data", community_id=care.community.id)
    after = await care.admin.ok(count)
    assert after["careProviders"]["totalCount"] == before["careProviders"]["totalCount"] + 2
    assert after["careServiceItems"]["totalCount"] == before["careServiceItems"]["totalCount"] + 6
    assert after["careWorkers"]["totalCount"] == before["careWorkers"]["totalCount"] + 5
    # the demo catalogue is usable right away: the elder orders from it
    items = (await care.elder.ok('{ careServiceItems(filter: {category: "health_check"}) { edges { node { id } } } }'))
    item = items["careServiceItems"]["edges"][0]["node"]["id"]
    order = (await care.elder.ok(care.PLACE, {"i": {"itemId": item, "slotStart": care.soon()}}))["placeCareOrder"]
    assert order["subsidyFen"] == order["totalFen"] == 5000
