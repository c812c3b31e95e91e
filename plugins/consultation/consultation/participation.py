"""Participation as a rate: who may take part in a topic (all residents, household heads, or
one grid's residents), counted through the SDK (`ctx.residents`, never the core's
collections), overall and per grid. A resolved topic keeps the counts of its resolution."""

from __future__ import annotations

from typing import Any

from community_plus_sdk import ModuleContext

from .topics import GRID, HEARING, HOUSEHOLD_HEADS


async def eligible_counts(ctx: ModuleContext, topic: dict[str, Any]) -> dict[str, Any]:
    """`{total, grids: {gridId or "": n}}` of the residents who may take part (one query)."""
    if topic.get("finalEligible") is not None:
        return topic["finalEligible"]
    if topic["audience"] == GRID:
        n = await ctx.residents.count(grid_id=topic["gridId"])
        return {"total": n, "grids": {topic["gridId"]: n}}
    per = await ctx.residents.count_by_grid(household_heads=topic["audience"] == HOUSEHOLD_HEADS)
    return {"total": sum(per.values()), "grids": {g or "": n for g, n in per.items()}}


def participants(topic: dict[str, Any]) -> int:
    """Residents who took part: voters, or for a hearing the writers of opinions."""
    return topic.get("opinionCount", 0) if topic["kind"] == HEARING else topic.get("voterCount", 0)


def rate(taking_part: int, eligible: int) -> float | None:
    """taking_part / eligible (4 decimals); None when nobody is eligible."""
    return round(min(taking_part / eligible, 1.0), 4) if eligible else None
