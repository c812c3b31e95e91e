"""Subsidy accounts: each elder's used entitlement per month and the community's spending
per month. Both are counters changed only by compare-and-set inside the transaction that
places (or cancels) an order, so concurrent orders can never overspend either."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from community_plus_sdk import ConflictError, ModuleContext, ScopedCollection
from community_plus_sdk.clock import clock, month_of, month_start

from .subsidy import entitlement


def usage_id(elder_id: str, month: str) -> str:
    return f"{elder_id}:{month}"


def budget_id(community_id: str, month: str) -> str:
    return f"{community_id}:{month}"


async def _ensure(coll: ScopedCollection, row_id: str, row: dict[str, Any]) -> None:
    if await coll.find_one({"_id": row_id}) is None:
        try:
            await coll.insert({"_id": row_id, **row})
        except ConflictError:
            pass  # created concurrently


async def ensure_accounts(ctx: ModuleContext, elder_id: str, month: str) -> None:
    """Create the month's counters before a transaction changes them."""
    await _ensure(ctx.collection("subsidy_usage"), usage_id(elder_id, month),
                  {"elderId": elder_id, "month": month, "usedMinutes": 0, "usedFen": 0})
    await _ensure(ctx.collection("subsidy_budgets"), budget_id(ctx.community_id, month),
                  {"month": month, "spentFen": 0})


def reference_time(month: str) -> datetime:
    """When to evaluate age-based rules for a month's balance: now, or the month's first day."""
    now = clock.now()
    return now if month_of(now) == month else month_start(month)


async def balances(ctx: ModuleContext, elders: list[dict[str, Any]], month: str) -> dict[str, dict[str, Any]]:
    """Monthly subsidy balance of each elder (one query for all of them)."""
    if not elders:
        return {}
    rules = (await ctx.settings()).subsidy_rules
    ids = [usage_id(e["_id"], month) for e in elders]
    used = {u["elderId"]: u for u in await ctx.collection("subsidy_usage").find({"_id": {"$in": ids}}, limit=len(ids))}
    when = reference_time(month)
    out = {}
    for e in elders:
        ent = entitlement(rules, e.get("birthDate"), e.get("tags") or [], when)
        u = used.get(e["_id"], {})
        out[e["_id"]] = {"elder_id": e["_id"], "month": month, "rule": ent.rule, "coverage_percent": ent.coverage,
                         "entitled_minutes": ent.minutes, "used_minutes": u.get("usedMinutes", 0),
                         "used_fen": u.get("usedFen", 0),
                         "remaining_minutes": max(0, ent.minutes - u.get("usedMinutes", 0))}
    return out


async def budget_status(ctx: ModuleContext, month: str) -> dict[str, Any]:
    total = (await ctx.settings()).budget_fen
    doc = await ctx.collection("subsidy_budgets").find_one({"_id": budget_id(ctx.community_id, month)})
    spent = doc["spentFen"] if doc else 0
    return {"month": month, "budget_fen": total, "spent_fen": spent, "remaining_fen": max(0, total - spent)}
