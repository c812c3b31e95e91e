"""Dashboard figures for a time window: wishes, donations, volunteer hours and points."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from community_plus_sdk import ModuleContext, Stat


async def _sum(ctx: ModuleContext, collection: str, match: dict[str, Any], **sums: Any) -> dict[str, Any]:
    rows = await ctx.collection(collection).aggregate([
        {"$match": match}, {"$group": {"_id": None, **{k: {"$sum": v} for k, v in sums.items()}}}])
    return rows[0] if rows else dict.fromkeys(sums, 0)


async def statistics(ctx: ModuleContext, since: datetime, until: datetime) -> list[Stat]:
    window = {"$gte": since, "$lt": until}
    wishes = ctx.collection("wishes")
    donations = await _sum(ctx, "donations", {"recordedAt": window}, fen="$amountFen", count=1)
    hours = await _sum(ctx, "signups", {"checkedOutAt": window}, hours="$hours", volunteers=1)
    points = await _sum(ctx, "ledger", {"createdAt": window},
                        issued={"$cond": [{"$in": ["$kind", ["volunteer", "wish", "adjustment"]]}, "$delta", 0]},
                        redeemed={"$cond": [{"$in": ["$kind", ["redemption", "refund"]]}, {"$subtract": [0, "$delta"]}, 0]})
    return [
        Stat("wishes_completed", "圆梦微心愿", await wishes.count({"state": "completed", "completedAt": window}), "个"),
        Stat("wishes_waiting", "待认领/进行中的心愿", await wishes.count({"state": {"$in": ["open", "claimed", "fulfilled"]}}),
             "个"),
        Stat("wishes_pending_review", "待审核心愿", await wishes.count({"state": "pending_review"}), "个"),
        Stat("donations_amount", "到账捐款", round(donations["fen"] / 100, 2), "元"),
        Stat("donations_count", "捐款笔数", donations["count"], "笔"),
        Stat("volunteer_hours", "志愿服务时长", round(float(hours["hours"] or 0), 2), "小时"),
        Stat("volunteer_services", "志愿服务人次", hours["volunteers"], "人次"),
        Stat("points_issued", "发放积分", points["issued"], "分"),
        Stat("points_redeemed", "兑换积分", points["redeemed"], "分"),
    ]
