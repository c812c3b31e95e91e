"""The canteen's day sheet and statistics (meals per day, subsidy against budget, top dishes)."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from community_plus_sdk import ForbiddenError, ModuleContext, NotFoundError, Stat, UserInputError

from .common import BUDGETS, CANTEENS, DONE_STATES, ORDERS, is_canteen_staff, key_id, require_canteen_staff
from .manifest import STATS
from .menus import list_menus
from .rules import ORDER_TYPES, Rules, day_key, day_of, month_of

MAX_DAYS = 92
STATUS_RANK = {"placed": 0, "assigned": 1, "out_for_delivery": 2, "served": 3, "delivered": 4}


async def day_sheet(ctx: ModuleContext, canteen_id: str, on: date) -> dict[str, Any]:
    """A canteen's orders of one day by meal and type, with portions to prepare. One query per
    meal (at most three): each meal's orders are bounded by its capacity (≤ 1000)."""
    await require_canteen_staff(ctx, canteen_id)
    canteen = await ctx.collection(CANTEENS).find_one({"_id": canteen_id})
    if canteen is None:
        raise NotFoundError("食堂不存在 (canteen not found)")
    meals, total = [], 0
    for menu in await list_menus(ctx, on, canteen_id, None):
        rows = await ctx.collection(ORDERS).find({"menuId": menu["_id"], "status": {"$ne": "cancelled"}},
                                                 sort=[("_id", 1)], limit=max(1, menu["capacity"]))
        rows.sort(key=lambda r: (STATUS_RANK[r["status"]], r.get("dinerName") or ""))
        portions: Counter[tuple[str, str]] = Counter()
        for r in rows:
            for item in r["items"]:
                portions[(item["dishId"], item["name"])] += item["quantity"]
        groups = []
        for t in ORDER_TYPES:
            of_type = [r for r in rows if r["orderType"] == t]
            if of_type:
                groups.append({"order_type": t, "count": len(of_type), "orders": of_type,
                               "done_count": sum(r["status"] in DONE_STATES for r in of_type)})
        total += len(rows)
        meals.append({"menu": menu, "groups": groups,
                      "dish_counts": [{"dish_id": k[0], "name": k[1], "quantity": q}
                                      for k, q in sorted(portions.items())]})
    return {"canteen_id": canteen_id, "canteen_name": canteen["name"], "date": on, "meals": meals,
            "total_orders": total}


def _months(since: date, until: date) -> list[str]:
    out, d = [], since.replace(day=1)
    while d <= until:
        out.append(month_of(d))
        d = (d + timedelta(days=32)).replace(day=1)
    return out


async def compute(ctx: ModuleContext, since: date, until: date, canteen_id: str | None) -> dict[str, Any]:
    """Statistics for meal dates in [since, until] (no permission check: see `statistics`)."""
    rules = Rules.of(await ctx.settings())
    match: dict[str, Any] = {"date": {"$gte": day_key(since), "$lte": day_key(until)}}
    if canteen_id:
        match["canteenId"] = canteen_id
    orders = ctx.collection(ORDERS)
    grouped = await orders.aggregate([
        {"$match": match},
        {"$group": {"_id": {"d": "$date", "s": "$status", "t": "$orderType"}, "n": {"$sum": 1},
                    "sub": {"$sum": "$subsidyFen"}, "pay": {"$sum": "$payFen"}}}])
    top = await orders.aggregate([
        {"$match": {**match, "status": {"$ne": "cancelled"}}},
        {"$unwind": "$items"},
        {"$group": {"_id": "$items.name", "q": {"$sum": "$items.quantity"}}},
        {"$sort": {"q": -1, "_id": 1}}, {"$limit": 10}])
    days: dict[date, dict[str, Any]] = defaultdict(lambda: {"ordered": 0, "served": 0, "cancelled": 0,
                                                           "subsidy_fen": 0})
    by_type: Counter[str] = Counter()
    subsidy = paid = 0
    for g in grouped:
        key, n = g["_id"], g["n"]
        day = days[day_of(key["d"])]
        if key["s"] == "cancelled":
            day["cancelled"] += n
            continue
        day["ordered"] += n
        day["subsidy_fen"] += g["sub"]
        by_type[key["t"]] += n
        subsidy += g["sub"]
        paid += g["pay"]
        if key["s"] in DONE_STATES:
            day["served"] += n
    months = _months(since, until)
    docs = {key_id(ctx.community_id or "", "budget", m): m for m in months}
    found = {d["month"]: d for d in await ctx.collection(BUDGETS).find({"_id": {"$in": list(docs)}}, limit=len(docs))}
    budgets = []
    for m in months:
        doc = found.get(m) or {}
        budget, spent = doc.get("budgetFen", rules.monthly_budget), doc.get("spentFen", 0)
        budgets.append({"month": m, "budget_fen": budget, "spent_fen": spent, "remaining_fen": max(0, budget - spent)})
    return {"since": since, "until": until, "canteen_id": canteen_id,
            "meals_ordered": sum(d["ordered"] for d in days.values()),
            "meals_served": sum(d["served"] for d in days.values()),
            "meals_cancelled": sum(d["cancelled"] for d in days.values()),
            "subsidy_spent_fen": subsidy, "paid_fen": paid,
            "by_type": [{"order_type": t, "count": by_type[t]} for t in ORDER_TYPES if by_type[t]],
            "days": [{"date": d, **v} for d, v in sorted(days.items())],
            "top_dishes": [{"name": t["_id"], "quantity": t["q"]} for t in top],
            "budgets": budgets}


async def statistics(ctx: ModuleContext, since: date, until: date, canteen_id: str | None) -> dict[str, Any]:
    """For holders of the statistics permission; canteen staff for their own canteen."""
    ctx.require_caller()
    if not ctx.has_permission(STATS) and not (canteen_id and await is_canteen_staff(ctx, canteen_id)):
        raise ForbiddenError("无权查看助餐统计 (you may not see meal statistics)")
    if until < since:
        raise UserInputError({"until": "不能早于开始日期 (must not be before since)"})
    if (until - since).days >= MAX_DAYS:
        raise UserInputError({"until": f"最多{MAX_DAYS}天 (at most {MAX_DAYS} days)"})
    return await compute(ctx, since, until, canteen_id)


async def dashboard(ctx: ModuleContext, since: datetime, until: datetime) -> list[Stat]:
    """Figures for the community dashboard: meals ordered and served, subsidy spent against the
    budget of the window's last month, and the top dishes."""
    rules = Rules.of(await ctx.settings())
    s = since.astimezone(rules.tz).date() if since.tzinfo else since.date()
    u = until.astimezone(rules.tz).date() if until.tzinfo else until.date()
    data = await compute(ctx, s, u, None)
    last = data["budgets"][-1] if data["budgets"] else {"month": month_of(u), "budget_fen": 0, "spent_fen": 0}
    used_pct = round(100 * last["spent_fen"] / last["budget_fen"], 1) if last["budget_fen"] else None
    stats = [Stat("meals_ordered", "助餐订餐份数", data["meals_ordered"], "份"),
             Stat("meals_served", "已出餐份数", data["meals_served"], "份"),
             Stat("subsidy_spent", "助餐补贴支出", data["subsidy_spent_fen"] / 100, "元"),
             Stat("subsidy_budget_month", f"{last['month']} 补贴预算", last["budget_fen"] / 100, "元"),
             Stat("subsidy_spent_month", f"{last['month']} 已用补贴", last["spent_fen"] / 100, "元"),
             Stat("subsidy_budget_used", f"{last['month']} 预算使用率", used_pct, "%")]
    for i, dish in enumerate(data["top_dishes"][:3], start=1):
        stats.append(Stat(f"top_dish_{i}", f"热门菜品第{i}名：{dish['name']}", dish["quantity"], "份"))
    return stats
