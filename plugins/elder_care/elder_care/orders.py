"""Care orders: quote, place (subsidy applied in the same transaction that creates the
order, idempotent per client key), cancel (subsidy restored), list and read."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from community_plus_sdk import ConflictError, ForbiddenError, ModuleContext, UserInputError
from community_plus_sdk.clock import as_utc, clock, month_of
from community_plus_sdk.relay import Page, paginate

from .access import Actor
from .checks import Problems, parse_month
from .ledger import budget_id, ensure_accounts, usage_id
from .manifest import ElderCareSettings
from .subsidy import Entitlement, Grant, entitlement, grant
from .workflow import ACTIVE, CANCELLED, DISPATCHED, OPEN, PLACED, event, state_conflict, transition

MAX_ATTEMPTS = 8
LIMIT_REASONS = {"budget": "SUBSIDY_BUDGET_EXHAUSTED", "hours": "SUBSIDY_HOURS_EXHAUSTED", None: "PRICE_ABOVE_LIMIT"}


class _Retry(Exception):
    """A subsidy counter changed between read and write: run the transaction again."""


class _Replay(Exception):
    """The idempotency key was used meanwhile: answer with the order it created."""


@dataclass
class Request:
    """A validated order request."""

    elder: dict[str, Any]
    item: dict[str, Any]
    provider: dict[str, Any]
    slot_start: datetime
    note: str | None
    max_paid_fen: int | None
    settings: ElderCareSettings

    @property
    def slot_end(self) -> datetime:
        return self.slot_start + timedelta(minutes=self.item["duration_minutes"])

    @property
    def month(self) -> str:
        return month_of(self.slot_start)

    def entitlement(self) -> Entitlement:
        return entitlement(self.settings.subsidy_rules, self.elder.get("birthDate"),
                           self.elder.get("tags") or [], self.slot_start)


def fingerprint(data: dict[str, Any]) -> str:
    body = {k: v for k, v in data.items() if k != "idempotency_key" and v is not None}
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


class OrderService:
    def __init__(self, ctx: ModuleContext) -> None:
        self.ctx = ctx
        self.actor = Actor(ctx)
        self.orders = ctx.collection("orders")

    # -- reading ----------------------------------------------------------------------------
    async def get(self, order_id: str) -> dict[str, Any]:
        return await self.actor.visible_order(order_id)

    async def list(self, filters: dict[str, Any], first: int, after: str | None) -> Page:
        visible = await self.actor.order_filter()
        if visible is None:
            return Page([], False, 0)
        query = {k: v for k, v in {"state": filters.get("state"), "elderId": filters.get("elder_id"),
                                   "providerId": filters.get("provider_id"), "workerId": filters.get("worker_id"),
                                   "gridId": filters.get("grid_id")}.items() if v is not None}
        if filters.get("month") is not None:
            query["month"] = parse_month(filters["month"], "filter.month")
        clauses = [c for c in (visible, query) if c]
        return await paginate(self.orders, {"$and": clauses} if len(clauses) > 1 else (clauses[0] if clauses else {}),
                              first, after)

    # -- validation -------------------------------------------------------------------------
    async def _request(self, data: dict[str, Any]) -> Request:
        caller = self.actor.caller
        p = Problems()
        elder_id = p.identifier("input.elderId", data.get("elder_id") or (
            caller.resident_id if caller.role == "resident" else None))
        item_id = p.identifier("input.itemId", data.get("item_id"))
        provider_id = p.identifier("input.providerId", data.get("provider_id"), required=False)
        note = p.text("input.note", data.get("note"), max_length=500)
        max_paid = p.number("input.maxPaidFen", data.get("max_paid_fen"), low=0, high=10**9)
        settings: ElderCareSettings = await self.ctx.settings()
        slot = as_utc(data["slot_start"]) if data.get("slot_start") is not None else None
        now = clock.now()
        if slot is None:
            p.add("input.slotStart", "必填 (required)")
        elif slot < now + timedelta(minutes=settings.min_lead_minutes):
            p.add("input.slotStart", f"预约时间须至少提前{settings.min_lead_minutes}分钟 "
                                     f"(must start at least {settings.min_lead_minutes} minutes from now)")
        elif slot > now + timedelta(days=settings.max_advance_days):
            p.add("input.slotStart", f"最多提前{settings.max_advance_days}天预约 "
                                     f"(at most {settings.max_advance_days} days ahead)")
        p.raise_if_any()
        elder = await self._elder_for(elder_id)
        item = await self.ctx.collection("service_items").find_one({"_id": item_id})
        if item is None or not item.get("active", True):
            p.add("input.itemId", "服务项目不存在或已下架 (no such active catalogue item)")
            p.raise_if_any()
        provider = await self._provider(provider_id, item["category"], p)
        p.raise_if_any()
        return Request(elder, item, provider, slot, note, max_paid, settings)

    async def _elder_for(self, elder_id: str) -> dict[str, Any]:
        """The enrolled elder the caller may order for (FORBIDDEN for anyone else's)."""
        caller = self.actor.caller
        elder = await self.ctx.collection("elders").find_one({"_id": elder_id})
        if elder is None:
            own = caller.role == "resident" and elder_id == caller.resident_id
            if own or (caller.role != "resident" and await self.ctx.resident(elder_id) is not None):
                raise UserInputError({"input.elderId": "该老人尚未建档，请联系社区登记 (not enrolled yet: ask the "
                                                       "community to register the elder)"})
            raise ForbiddenError("只能为本人、被监护的家人或辖区老人下单 (only for yourself, your wards or elders "
                                 "of your grids)")
        if not await self.actor.can_act_for(elder):
            raise ForbiddenError("只能为本人、被监护的家人或辖区老人下单 (only for yourself, your wards or elders "
                                 "of your grids)")
        if not elder.get("active", True):
            raise UserInputError({"input.elderId": "该老人档案已停用 (the elder's enrolment is inactive)"})
        return elder

    async def _provider(self, provider_id: str | None, category: str, p: Problems) -> dict[str, Any]:
        providers = self.ctx.collection("providers")
        if provider_id:
            provider = await providers.find_one({"_id": provider_id})
            if provider is None or not provider.get("active", True):
                p.add("input.providerId", "服务机构不存在或已停用 (no such active provider)")
            elif category not in (provider.get("categories") or []):
                p.add("input.providerId", "该机构不提供此项服务 (this provider does not offer the service)")
            return provider or {}
        offering = await providers.find({"active": True, "categories": category}, sort=[("_id", 1)], limit=50)
        if not offering:
            p.add("input.itemId", "暂无机构提供此项服务 (no active provider offers this service)")
            return {}
        loads = await self.orders.aggregate([
            {"$match": {"providerId": {"$in": [o["_id"] for o in offering]}, "state": {"$in": list(ACTIVE)}}},
            {"$group": {"_id": "$providerId", "n": {"$sum": 1}}}])
        load = {row["_id"]: row["n"] for row in loads}
        return min(offering, key=lambda o: (load.get(o["_id"], 0), o["_id"]))  # the least busy provider

    # -- quoting and placing ------------------------------------------------------------------
    async def quote(self, data: dict[str, Any]) -> tuple[Request, Grant]:
        """What the order would cost now (nothing is reserved)."""
        req = await self._request(data)
        usage = await self.ctx.collection("subsidy_usage").find_one({"_id": usage_id(req.elder["_id"], req.month)})
        spent = await self.ctx.collection("subsidy_budgets").find_one({"_id": budget_id(self.ctx.community_id,
                                                                                            req.month)})
        g = grant(req.item["price_fen"], req.item["duration_minutes"], req.entitlement(),
                  (usage or {}).get("usedMinutes", 0), req.settings.budget_fen - (spent or {}).get("spentFen", 0))
        return req, g

    async def place(self, data: dict[str, Any]) -> dict[str, Any]:
        caller = self.actor.caller
        key = data.get("idempotency_key")
        if key is not None and not 1 <= len(key.strip()) <= 100:
            raise UserInputError({"input.idempotencyKey": "应为1到100个字符 (1 to 100 characters)"})
        digest = fingerprint(data)
        key_id = f"{self.ctx.community_id}:{caller.user_id}:{key}" if key else None
        if key_id and (replayed := await self._replay(key_id, digest)) is not None:
            return replayed
        req = await self._request(data)
        await ensure_accounts(self.ctx, req.elder["_id"], req.month)
        dispatchers = [w["userId"] for w in await self.ctx.collection("care_workers").find(
            {"providerId": req.provider["_id"], "canDispatch": True, "active": True}, limit=20) if w.get("userId")]

        async def write(tx) -> dict[str, Any]:
            if key_id and await tx.collection("order_keys").find_one({"_id": key_id}) is not None:
                raise _Replay()
            g = await self._charge(tx, req)
            order = await tx.collection("orders").insert(self._order_doc(req, g))
            if g.minutes or g.subsidy_fen:
                await tx.collection("subsidy_ledger").insert({
                    "kind": "grant", "orderId": order["_id"], "elderId": req.elder["_id"], "month": req.month,
                    "minutes": g.minutes, "fen": g.subsidy_fen, "rule": g.rule})
            if key_id:
                await tx.collection("order_keys").insert({"_id": key_id, "orderId": order["_id"], "hash": digest})
            if dispatchers:
                await tx.notify(dispatchers, f"新护理订单：{req.item['name']}", "待派单", "/pages/elder_care/dispatch")
            return order

        try:
            order = await self._run(write)
        except (_Replay, ConflictError):
            replayed = await self._replay(key_id, digest) if key_id else None
            if replayed is None:
                raise
            return replayed  # a concurrent retry of the same request won
        await self.ctx.audit("place", "CareOrder", order, ["state", "subsidyFen", "paidFen"])
        return order

    async def _run(self, write) -> Any:
        for _ in range(MAX_ATTEMPTS):
            try:
                return await self.ctx.transaction(write)
            except _Retry:
                continue
        raise ConflictError("下单人数较多，请稍后重试 (too many concurrent orders: retry shortly)")

    async def _replay(self, key_id: str, digest: str) -> dict[str, Any] | None:
        row = await self.ctx.collection("order_keys").find_one({"_id": key_id})
        if row is None:
            return None
        if row["hash"] != digest:
            raise ConflictError("该幂等键已用于不同的下单请求 (this idempotency key was used with different input)")
        return await self.orders.find_one({"_id": row["orderId"]})

    async def _charge(self, tx, req: Request) -> Grant:
        """Compute the subsidy against the current counters and charge both, compare-and-set."""
        usage_coll, budget_coll = tx.collection("subsidy_usage"), tx.collection("subsidy_budgets")
        uid, bid = usage_id(req.elder["_id"], req.month), budget_id(self.ctx.community_id, req.month)
        usage, budget = await usage_coll.find_one({"_id": uid}), await budget_coll.find_one({"_id": bid})
        g = grant(req.item["price_fen"], req.item["duration_minutes"], req.entitlement(), usage["usedMinutes"],
                  req.settings.budget_fen - budget["spentFen"])
        if req.max_paid_fen is not None and g.paid_fen > req.max_paid_fen:
            reason = LIMIT_REASONS[g.limited_by]
            detail = {"SUBSIDY_BUDGET_EXHAUSTED": "本月补贴预算已用完 (this month's subsidy budget is spent)",
                      "SUBSIDY_HOURS_EXHAUSTED": "本月补贴时长不足 (not enough subsidised hours left this month)",
                      "PRICE_ABOVE_LIMIT": "自付金额超过上限 (the amount to pay exceeds your limit)"}[reason]
            raise ConflictError(f"{detail}：需自付 {g.paid_fen / 100:.2f} 元", reason=reason, paidFen=g.paid_fen,
                                subsidyFen=g.subsidy_fen)
        if g.minutes or g.subsidy_fen:
            if await usage_coll.update({"_id": uid}, {}, expect={"version": usage["version"]},
                                       inc={"usedMinutes": g.minutes, "usedFen": g.subsidy_fen}) is None:
                raise _Retry()
            if await budget_coll.update({"_id": bid}, {}, expect={"version": budget["version"]},
                                        inc={"spentFen": g.subsidy_fen}) is None:
                raise _Retry()
        return g

    def _order_doc(self, req: Request, g: Grant) -> dict[str, Any]:
        caller, now, e = self.actor.caller, clock.now(), req.elder
        return {
            "elderId": e["_id"], "elderName": e.get("name"), "gridId": e.get("gridId"),
            "homeAddress": e.get("homeAddress"), "homeLongitude": e.get("longitude"), "homeLatitude": e.get("latitude"),
            "careNotes": e.get("careNotes"), "providerId": req.provider["_id"], "providerName": req.provider["name"],
            "itemId": req.item["_id"], "itemName": req.item["name"], "category": req.item["category"],
            "durationMinutes": req.item["duration_minutes"], "slotStart": req.slot_start, "slotEnd": req.slot_end,
            "month": req.month, "note": req.note, "state": PLACED, "workerId": None, "workerName": None,
            "totalFen": g.total_fen, "subsidyFen": g.subsidy_fen, "paidFen": g.paid_fen,
            "subsidisedMinutes": g.minutes, "subsidyRule": g.rule, "subsidyLimitedBy": g.limited_by,
            "placedBy": caller.user_id, "placedByRole": caller.role, "overdueAlertedAt": None, "rating": None,
            "timeline": [event(caller, "place", None, PLACED, now, req.note)],
        }

    # -- cancelling -----------------------------------------------------------------------------
    async def cancel(self, order_id: str, reason: str | None) -> dict[str, Any]:
        caller = self.actor.caller
        p = Problems()
        reason = p.text("reason", reason, max_length=200)
        p.raise_if_any()
        order = await self.actor.visible_order(order_id)
        elder = await self.ctx.collection("elders").find_one({"_id": order["elderId"]})
        if order["placedBy"] != caller.user_id and not (elder and await self.actor.can_act_for(elder)):
            raise ForbiddenError("只有老人、家属或社区工作人员可以取消 (only the elder, family or staff may cancel)")
        if order["state"] not in OPEN:
            raise state_conflict(order["state"], "cancel")
        worker = None
        if order["state"] == DISPATCHED and order.get("workerId"):
            worker = await self.ctx.collection("care_workers").find_one({"_id": order["workerId"]})
        now = clock.now()

        async def write(tx) -> dict[str, Any]:
            updated = await transition(tx.collection("orders"), order, caller, "cancel", CANCELLED,
                                       {"cancelledAt": now, "cancelReason": reason}, now, reason)
            if order["subsidisedMinutes"] or order["subsidyFen"]:
                await tx.collection("subsidy_usage").update(
                    {"_id": usage_id(order["elderId"], order["month"])}, {},
                    inc={"usedMinutes": -order["subsidisedMinutes"], "usedFen": -order["subsidyFen"]})
                await tx.collection("subsidy_budgets").update(
                    {"_id": budget_id(self.ctx.community_id, order["month"])}, {},
                    inc={"spentFen": -order["subsidyFen"]})
                await tx.collection("subsidy_ledger").insert({
                    "kind": "refund", "orderId": order["_id"], "elderId": order["elderId"], "month": order["month"],
                    "minutes": -order["subsidisedMinutes"], "fen": -order["subsidyFen"], "rule": order["subsidyRule"]})
            if worker and worker.get("userId"):
                await tx.notify([worker["userId"]], f"护理订单已取消：{order['itemName']}", "已取消",
                                "/pages/elder_care/visits")
            return updated

        updated = await self.ctx.transaction(write)
        await self.ctx.audit("cancel", "CareOrder", updated, ["state"])
        return updated
