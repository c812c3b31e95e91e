"""Monthly statements (月度结算): per elder (what was subsidised and what they paid) and per
provider (what the government owes and what elders paid, by service item). A statement
covers the non-cancelled orders whose visit falls in the month (China time)."""

from __future__ import annotations

from typing import Any

from community_plus_sdk import ForbiddenError, ModuleContext, NotFoundError

from .access import Actor
from .checks import parse_month
from .elders import ElderService
from .ledger import budget_status
from .manifest import READ_ALL
from .workflow import CANCELLED, COMPLETED, CONFIRMED

DONE = [COMPLETED, CONFIRMED]
SUMS = ("totalFen", "subsidyFen", "paidFen", "subsidisedMinutes", "durationMinutes")


def _totals(rows: list[dict[str, Any]]) -> dict[str, Any]:
    rated = [r["rating"] for r in rows if r.get("rating")]
    return {"order_count": len(rows), "completed_count": sum(1 for r in rows if r["state"] in DONE),
            "total_fen": sum(r["totalFen"] for r in rows), "subsidy_fen": sum(r["subsidyFen"] for r in rows),
            "paid_fen": sum(r["paidFen"] for r in rows),
            "subsidised_minutes": sum(r["subsidisedMinutes"] for r in rows),
            "service_minutes": sum(r["durationMinutes"] for r in rows),
            "rating_count": len(rated), "average_rating": round(sum(rated) / len(rated), 2) if rated else None}


class StatementService:
    def __init__(self, ctx: ModuleContext) -> None:
        self.ctx = ctx
        self.actor = Actor(ctx)
        self.orders = ctx.collection("orders")

    async def elder(self, elder_id: str, month: str | None) -> dict[str, Any]:
        month = parse_month(month)
        elder = await ElderService(self.ctx).get(elder_id)  # NOT_FOUND unless the caller may see the elder
        rows = await self.orders.find({"elderId": elder_id, "month": month, "state": {"$ne": CANCELLED}},
                                      sort=[("slotStart", 1)], limit=1000)
        return {"elder_id": elder_id, "elder_name": elder.get("name"), "month": month, "lines": rows, **_totals(rows)}

    async def provider(self, provider_id: str, month: str | None) -> dict[str, Any]:
        month = parse_month(month)
        if not (self.actor.sees_everything or provider_id in await self.actor.dispatch_provider_ids()):
            raise ForbiddenError("只有社区管理员或该机构调度员可以查看机构结算 (admins and the provider's dispatchers "
                                 "only)")
        provider = await self.ctx.collection("providers").find_one({"_id": provider_id})
        if provider is None:
            raise NotFoundError("服务机构不存在 (no such provider)")
        groups = await self.orders.aggregate([
            {"$match": {"providerId": provider_id, "month": month, "state": {"$ne": CANCELLED}}},
            {"$group": {"_id": "$itemId", "itemName": {"$last": "$itemName"}, "orders": {"$sum": 1},
                        "completed": {"$sum": {"$cond": [{"$in": ["$state", DONE]}, 1, 0]}},
                        "ratingSum": {"$sum": {"$ifNull": ["$rating", 0]}},
                        "rated": {"$sum": {"$cond": [{"$gt": ["$rating", 0]}, 1, 0]}},
                        **{k: {"$sum": f"${k}"} for k in SUMS}}},
            {"$sort": {"_id": 1}}])
        items = [{"item_id": g["_id"], "item_name": g["itemName"], "order_count": g["orders"],
                  "completed_count": g["completed"], "total_fen": g["totalFen"], "subsidy_fen": g["subsidyFen"],
                  "paid_fen": g["paidFen"], "subsidised_minutes": g["subsidisedMinutes"],
                  "service_minutes": g["durationMinutes"]} for g in groups]
        rated = sum(g["rated"] for g in groups)
        totals = {k: sum(i[k] for i in items) for k in ("order_count", "completed_count", "total_fen", "subsidy_fen",
                                                       "paid_fen", "subsidised_minutes", "service_minutes")}
        return {"provider_id": provider_id, "provider_name": provider["name"], "month": month, "items": items,
                **totals, "rating_count": rated,
                "average_rating": round(sum(g["ratingSum"] for g in groups) / rated, 2) if rated else None}

    async def budget(self, month: str | None) -> dict[str, Any]:
        if not self.ctx.has_permission(READ_ALL):
            raise ForbiddenError("只有社区管理员可以查看补贴预算 (community admins only)")
        return await budget_status(self.ctx, parse_month(month))
