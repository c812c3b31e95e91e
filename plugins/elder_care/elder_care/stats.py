"""Dashboard statistics for a community over a time window (`dashboard_statistics`)."""

from __future__ import annotations

from datetime import datetime

from community_plus_sdk import ModuleContext, Stat

from .workflow import CANCELLED, COMPLETED, CONFIRMED


async def _sum(ctx: ModuleContext, match: dict, field: str) -> tuple[int, float]:
    rows = await ctx.collection("orders").aggregate([
        {"$match": match}, {"$group": {"_id": None, "n": {"$sum": 1}, "total": {"$sum": f"${field}"}}}])
    return (rows[0]["n"], rows[0]["total"]) if rows else (0, 0)


async def dashboard(ctx: ModuleContext, since: datetime, until: datetime) -> list[Stat]:
    window = {"$gte": since, "$lt": until}
    orders = ctx.collection("orders")
    placed = await orders.count({"createdAt": window})
    cancelled = await orders.count({"createdAt": window, "state": CANCELLED})
    _, subsidy = await _sum(ctx, {"createdAt": window, "state": {"$ne": CANCELLED}}, "subsidyFen")
    visits, minutes = await _sum(ctx, {"completedAt": window, "state": {"$in": [COMPLETED, CONFIRMED]}},
                                 "actualMinutes")
    rated, rating_sum = await _sum(ctx, {"confirmedAt": window, "state": CONFIRMED}, "rating")
    overdue = await ctx.collection("alerts").count({"raisedAt": window})
    return [
        Stat("orders", "护理订单", placed, "单"),
        Stat("cancelled_orders", "取消订单", cancelled, "单"),
        Stat("completed_visits", "完成上门服务", visits, "次"),
        Stat("service_hours", "服务时长", round(minutes / 60, 1), "小时"),
        Stat("subsidy_used", "补贴支出", round(subsidy / 100, 2), "元"),
        Stat("average_rating", "平均评分", round(rating_sum / rated, 2) if rated else None, "分"),
        Stat("ratings", "评价数", rated, "条"),
        Stat("overdue_visits", "逾期未签到", overdue, "次"),
    ]
