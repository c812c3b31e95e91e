"""Safety alerts: a visit not checked in `checkInToleranceMinutes` after its start raises
one alert for the elder's grid workers (WeChat message + the `careAlerts` list). The scan
runs in every worker process (`run_periodic`); a compare-and-set on the order and the
alert's deterministic id make it raise each alert exactly once."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from community_plus_sdk import ConflictError, ModuleContext, NotFoundError
from community_plus_sdk.clock import CHINA, clock
from community_plus_sdk.relay import Page, paginate

from .access import Actor
from .checks import Problems
from .manifest import HANDLE_ALERTS, READ_ALL
from .workflow import OPEN

OPEN_ALERT, ACKNOWLEDGED = "open", "acknowledged"
SCAN_LIMIT = 500
ALERTS_PAGE = "/pages/elder_care/alerts"


async def scan_overdue(ctx: ModuleContext, now: datetime) -> int:
    """System task: raise alerts for overdue check-ins in every community; returns how many."""
    candidates = await ctx.unscoped_collection("orders").find(
        {"state": {"$in": list(OPEN)}, "overdueAlertedAt": None, "slotStart": {"$lte": now}}, limit=SCAN_LIMIT)
    by_community: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for order in candidates:
        by_community[order["communityId"]].append(order)
    raised = 0
    for community_id, orders in by_community.items():
        if not await ctx.is_enabled(community_id):
            continue  # switched off there: its data is kept, but no alerts are raised
        local = ctx.for_community(community_id)
        tolerance = timedelta(minutes=(await local.settings()).check_in_tolerance_minutes)
        for order in orders:
            if order["slotStart"] + tolerance <= now and await raise_overdue(local, order, now):
                raised += 1
    return raised


async def raise_overdue(ctx: ModuleContext, order: dict[str, Any], now: datetime) -> bool:
    workers = await ctx.grid_workers(order["gridId"]) if order.get("gridId") else []
    minutes = int((now - order["slotStart"]).total_seconds() // 60)

    async def write(tx) -> bool:
        flagged = await tx.collection("orders").update(
            {"_id": order["_id"]}, {"overdueAlertedAt": now},
            expect={"state": {"$in": list(OPEN)}, "overdueAlertedAt": None})
        if flagged is None:
            return False  # checked in, cancelled or alerted meanwhile
        await tx.collection("alerts").insert({
            "_id": f"overdue-{order['_id']}", "kind": "overdue_check_in", "state": OPEN_ALERT,
            "orderId": order["_id"], "elderId": order["elderId"], "elderName": order.get("elderName"),
            "gridId": order.get("gridId"), "itemName": order.get("itemName"), "providerName": order.get("providerName"),
            "workerName": order.get("workerName"), "slotStart": order["slotStart"], "raisedAt": now,
            "overdueMinutes": minutes, "notifiedUserIds": [w["_id"] for w in workers]})
        if workers:
            local = order["slotStart"].astimezone(CHINA)
            await tx.notify([w["_id"] for w in workers], f"{order.get('elderName') or '老人'} {local:%H:%M}的上门服务未签到",
                            "逾期未签到", ALERTS_PAGE)
        return True

    try:
        return await ctx.transaction(write)
    except ConflictError:
        return False  # another worker process raised it first


class AlertService:
    def __init__(self, ctx: ModuleContext) -> None:
        self.ctx = ctx
        self.actor = Actor(ctx)
        self.coll = ctx.collection("alerts")

    def _require(self) -> None:
        self.ctx.require_permission(HANDLE_ALERTS)

    def _scope(self) -> dict[str, Any]:
        if self.ctx.has_permission(READ_ALL) or not self.actor.grid_limited():
            return {}
        return {"gridId": {"$in": list(self.actor.caller.grid_ids)}}

    async def list(self, state: str | None, first: int, after: str | None) -> Page:
        self._require()
        query = {**self._scope(), **({"state": state} if state else {})}
        return await paginate(self.coll, query, first, after)

    async def acknowledge(self, alert_id: str, note: str | None) -> dict[str, Any]:
        self._require()
        p = Problems()
        note = p.text("note", note, max_length=300)
        p.raise_if_any()
        alert = await self.coll.find_one({"_id": alert_id, **self._scope()})
        if alert is None:
            raise NotFoundError("预警不存在 (no such alert)")
        if alert["state"] != OPEN_ALERT:
            raise ConflictError("该预警已处理 (the alert was already handled)", state=alert["state"].upper())
        caller = self.actor.caller
        doc = await self.coll.update({"_id": alert_id}, {"state": ACKNOWLEDGED, "acknowledgedAt": clock.now(),
                                                         "acknowledgedBy": caller.user_id,
                                                         "acknowledgedByName": caller.name, "note": note},
                                     expect={"state": OPEN_ALERT})
        if doc is None:
            raise ConflictError("该预警已被他人处理 (the alert was handled meanwhile)", state=ACKNOWLEDGED.upper())
        await self.ctx.audit("acknowledge", "CareAlert", doc, ["state", "note"])
        return doc
