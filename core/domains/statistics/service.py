"""Work-order statistics for a grid, a community or a region subtree over a time window:
who may ask for which scope, and the figures' shape (the one aggregation is the repository's)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from community_plus.platform.context import RequestContext
from community_plus.platform.errors import BadUserInput, NotFound
from community_plus.platform.validation import as_utc
from community_plus.domains.statistics.repository import WorkOrderFiguresRepository

MAX_WINDOW = timedelta(days=366 * 3)


class StatisticsService:
    def __init__(self, ctx: RequestContext) -> None:
        self.ctx = ctx
        self.p = ctx.platform
        self.scope = ctx.scope

    async def _target(self, grid_id: str | None, community_id: str | None, region_id: str | None) -> tuple[str, str]:
        pr = self.scope.require_role("platform_admin", "region_admin", "community_admin", "grid_worker",
                                     "hotline_operator")
        given = [x for x in (grid_id, community_id, region_id) if x]
        if len(given) > 1:
            raise BadUserInput({"gridId": "只能指定 gridId、communityId、regionId 中的一个 (give only one of them)"})
        if grid_id:
            grid = await self.p.grids.get(grid_id, self.scope.grid_filter())
            if grid is None:
                raise NotFound("grid")
            return "gridId", grid_id
        if pr.role == "grid_worker":
            if community_id or region_id:
                raise NotFound("community")
            return "gridId", pr.grid_ids[0]
        target = community_id or region_id or self.scope.community_id or pr.community_id or pr.region_id
        region = await self.ctx.loaders.by_id("regions").load(target) if target else None
        if region is None or not self.scope.covers_community(region):
            raise NotFound("region")
        return ("communityId", target) if region["level"] == "community" else ("regionPath", target)

    async def compute(self, *, grid_id: str | None = None, community_id: str | None = None,
                      region_id: str | None = None, since: datetime | None = None,
                      until: datetime | None = None, now: datetime | None = None) -> dict[str, Any]:
        field, value = await self._target(grid_id, community_id, region_id)
        now = now or datetime.now(UTC)
        until = as_utc(until) if until else now
        since = as_utc(since) if since else until - timedelta(days=30)
        if since >= until:
            raise BadUserInput({"since": "开始时间应早于结束时间 (since must be before until)"})
        if until - since > MAX_WINDOW:
            raise BadUserInput({"since": "时间窗口最长3年 (the window is at most 3 years)"})
        facets = await WorkOrderFiguresRepository(self.p.db).facets(field, value, since, until, now)
        by_state = {r["_id"]: r["count"] for r in facets["byState"]}
        handling = facets["handling"][0] if facets["handling"] else None
        rating = facets["rating"][0] if facets["rating"] else None
        overdue = facets["overdue"][0] if facets["overdue"] else {"late": 0, "n": 0}
        return {
            "scope": field, "scopeId": value, "since": since, "until": until,
            "total": sum(by_state.values()), "byState": by_state,
            "byItem": [{"itemId": r["_id"], "title": r["title"], "count": r["count"]} for r in facets["byItem"]],
            "resolvedCount": handling["n"] if handling else 0,
            "handlingHoursMedian": handling["p"][0] if handling else None,
            "handlingHoursP90": handling["p"][1] if handling else None,
            "averageRating": rating["avg"] if rating else None, "ratedCount": rating["n"] if rating else 0,
            "overdueCount": overdue["late"],
            "overdueShare": overdue["late"] / overdue["n"] if overdue["n"] else 0.0,
            "byPriorityGroup": {r["_id"]: r["count"] for r in facets["byGroup"]},
            "byChannel": {r["_id"]: r["count"] for r in facets["byChannel"]},
        }

