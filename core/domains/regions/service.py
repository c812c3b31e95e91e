"""Regions, communities and grids: reads scoped to the principal, grid edits for admins."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from community_plus.platform.access import REGION_ROLES
from community_plus.platform.context import RequestContext
from community_plus.platform.errors import BadUserInput, NotFound
from community_plus.platform.repository import Page, new_id
from community_plus.platform.validation import polygon_problem


class RegionService:
    def __init__(self, ctx: RequestContext) -> None:
        self.ctx = ctx
        self.p = ctx.platform
        self.scope = ctx.scope

    async def visible_region_filter(self) -> dict[str, Any]:
        """Regions the principal may see: its subtree, plus ancestors of its community."""
        pr = self.scope.require()
        if pr.role == "platform_admin":
            return {}
        if pr.role in REGION_ROLES:
            return {"$or": [{"_id": pr.region_id}, {"path": pr.region_id}]}
        community = await self.ctx.loaders.by_id("regions").load(pr.community_id) if pr.community_id else None
        ids = [pr.community_id, *(community or {}).get("path", [])]
        return {"_id": {"$in": [i for i in ids if i]}}

    async def community(self, id: str) -> dict[str, Any]:
        """A community the principal's scope covers; NOT_FOUND otherwise (no existence leak)."""
        self.scope.require()
        doc = await self.ctx.loaders.by_id("regions").load(id)
        if doc is None or doc.get("level") != "community" or not self.scope.covers_community(doc):
            raise NotFound("community")
        return doc

    async def communities(self, first: int, after: str | None, under: str | None) -> Page:
        pr = self.scope.require()
        f: dict[str, Any] = {"level": "community"}
        if pr.role in REGION_ROLES:
            f["path"] = pr.region_id
        elif pr.role != "platform_admin":
            f["_id"] = pr.community_id
        if under:
            f = {"$and": [f, {"path": under}]}
        return await self.p.regions.page(f, first, after)

    async def regions(self, parent_id: str | None) -> list[dict[str, Any]]:
        return await self.p.regions.children(parent_id, await self.visible_region_filter())

    async def grid(self, id: str) -> dict[str, Any]:
        doc = await self.p.grids.get(id, self.scope.grid_filter())
        if doc is None:
            raise NotFound("grid")
        return doc

    async def grids(self, first: int, after: str | None, community_id: str | None) -> Page:
        f = self.scope.grid_filter()
        if community_id:
            f = {**f, "communityId": community_id} if "communityId" not in f else {"$and": [f, {"communityId": community_id}]}
        return await self.p.grids.page(f, first, after)

    async def grid_at(self, lon: float, lat: float) -> dict[str, Any] | None:
        errors = {}
        if not -180 <= lon <= 180:
            errors["longitude"] = "经度应在 -180..180 (longitude must be within -180..180)"
        if not -90 <= lat <= 90:
            errors["latitude"] = "纬度应在 -90..90 (latitude must be within -90..90)"
        if errors:
            raise BadUserInput(errors)
        self.scope.require()
        return await self.p.grids.at_point(lon, lat, self.scope.community_filter())

    async def create_grid(self, community_id: str, name: str, boundary: dict[str, Any],
                          worker_ids: list[str]) -> dict[str, Any]:
        self.scope.require_role("platform_admin", "region_admin", "community_admin")
        community = await self.ctx.loaders.by_id("regions").load(community_id)
        if community is None or community.get("level") != "community" or not self.scope.covers_community(community):
            raise NotFound("community")  # out of scope reads as absent (no existence oracle)
        errors = {}
        if not name.strip():
            errors["name"] = "必填 (required)"
        elif len(name.strip()) > 30:
            errors["name"] = "最多30字 (at most 30 characters)"
        if problem := polygon_problem(boundary):
            errors["boundary"] = problem
        worker_ids = list(dict.fromkeys(worker_ids))
        if len(worker_ids) > 20:
            errors["workerIds"] = "最多20名网格员 (at most 20 grid workers)"
        else:
            found = await self.p.users.get_many(worker_ids)
            for i, wid in enumerate(worker_ids):
                w = found.get(wid)
                if w is None or w.get("role") != "grid_worker" or w.get("communityId") != community_id:
                    errors.setdefault(f"workerIds.{i}", "应为本社区的网格员 (must be a grid worker of this community)")
        if errors:
            raise BadUserInput(errors)
        doc = {"_id": new_id(), "communityId": community_id, "regionPath": [*community["path"], community_id],
               "name": name.strip(), "boundary": boundary, "workerIds": worker_ids, "createdAt": datetime.now(UTC)}
        await self.p.grids.insert(doc)
        return doc
