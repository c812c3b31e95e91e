"""Functional departments (职能部门): organisation units under a region (a street's or a
district's civil affairs office, urban management…) with their own staff (`department_staff`)
and linkage queue. Created by the admins of the region (or above)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pymongo.errors import DuplicateKeyError

from community_plus.platform.context import RequestContext
from community_plus.platform.errors import BadUserInput, Conflict, FieldErrors, Forbidden, NotFound
from community_plus.platform.repository import Page, new_id
from community_plus.platform.validation import text_problem


class DepartmentService:
    def __init__(self, ctx: RequestContext) -> None:
        self.ctx = ctx
        self.scope = ctx.scope
        self.repo = ctx.platform.parts["linkage.departments"]

    def _filter(self) -> dict[str, Any]:
        pr = self.scope.require()
        if pr.role == "platform_admin":
            return {}
        if pr.role == "region_admin":
            return {"regionPath": pr.region_id}
        if pr.role == "department_staff":
            return {"_id": pr.department_id or "\x00"}
        raise Forbidden("您的角色不能查看职能部门 (your role may not list departments)")

    async def create(self, data: dict[str, Any]) -> dict[str, Any]:
        self.scope.require_role("platform_admin", "region_admin")
        errors = FieldErrors()
        name = (data.get("name") or "").strip()
        if not name:
            errors.add("input.name", "必填 (required)")
        elif problem := text_problem(name, 50):
            errors.add("input.name", problem)
        description = (data.get("description") or "").strip()
        if problem := text_problem(description, 500):
            errors.add("input.description", problem)
        errors.raise_if_any()
        region = await self.ctx.loaders.by_id("regions").load(data["region_id"])
        if region is None or not self.scope.covers_community(region):
            raise NotFound("region")
        if region["level"] == "community":
            raise BadUserInput({"input.regionId": "职能部门属于街道及以上层级 (a department belongs to a street or above)"})
        doc = {"_id": new_id(), "regionId": region["_id"], "regionPath": [*region.get("path", []), region["_id"]],
               "regionLevel": region["level"], "name": name, "description": description,
               "createdAt": datetime.now(UTC)}
        try:
            return await self.repo.insert(doc)
        except DuplicateKeyError as exc:
            raise Conflict(f"该层级已有名为「{name}」的部门 (a department of that name exists here)") from exc

    async def list(self, region_id: str | None, first: int, after: str | None) -> Page:
        f = self._filter()
        if region_id:
            f = {"$and": [f, {"regionPath": region_id}]} if f else {"regionPath": region_id}
        return await self.repo.page(f, first, after)
