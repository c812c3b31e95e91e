"""Modules of a community (or region): switch them on/off and configure them at runtime."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from community_plus.domains.audit import service as audit
from community_plus.domains.statistics.service import MAX_WINDOW
from community_plus.platform.context import RequestContext
from community_plus.platform.errors import BadUserInput, NotFound
from community_plus.platform.validation import as_utc

ADMINS = ("platform_admin", "region_admin", "community_admin")


class ModuleService:
    def __init__(self, ctx: RequestContext) -> None:
        self.ctx = ctx
        self.p = ctx.platform
        self.scope = ctx.scope
        self.registry = ctx.platform.modules

    async def _region(self, region_id: str | None, *, write: bool) -> dict[str, Any]:
        pr = self.scope.require()
        rid = region_id or self.scope.community_id or pr.community_id
        if not rid:
            raise BadUserInput({"communityId": "请指定社区或区域 (give a communityId or regionId)"})
        region = await self.ctx.loaders.by_id("regions").load(rid)
        if region is None or not self.scope.covers_community(region):
            raise NotFound("community")  # for reads and writes alike (no existence oracle)
        if write:
            self.scope.require_role(*ADMINS)
        return region

    def _module(self, name: str):
        loaded = self.registry.modules.get(name)
        if loaded is None:
            raise BadUserInput({"module": f"未安装的模块 {name!r} (not installed; installed: "
                                          f"{', '.join(sorted(self.registry.modules)) or 'none'})"})
        return loaded

    async def describe(self, region: dict[str, Any], name: str, state: dict[str, Any] | None = None) -> dict[str, Any]:
        loaded = self._module(name)
        state = state or await self.registry.states.describe(region["_id"], name)
        is_admin = self.scope.role in ADMINS
        return {"loaded": loaded, "enabled": state["enabled"], "source": state["source"],
                "settings": self.registry.states.public_settings(name, state["settings"]) if is_admin else None,
                "own": (state["own"] or {}).get("enabled")}

    async def list(self, region_id: str | None) -> list[dict[str, Any]]:
        region = await self._region(region_id, write=False)
        states = await self.registry.states.describe_all(region)
        return [await self.describe(region, name, state) for name, state in states.items()]

    async def set_enabled(self, region_id: str, name: str, enabled: bool | None) -> dict[str, Any]:
        region = await self._region(region_id, write=True)
        self._module(name)
        before = await self.registry.states.describe(region["_id"], name)
        await self.registry.states.set_enabled(region, name, enabled, self.scope.principal.user_id)
        after = await self.registry.states.describe(region["_id"], name)
        await audit.record(self.ctx, "set_module_enabled", "module", {"_id": f"{region['_id']}:{name}",
                           "communityId": region["_id"] if region["level"] == "community" else None,
                           "regionPath": [*region["path"], region["_id"]]}, ["enabled"], enabled=enabled)
        if before["enabled"] != after["enabled"]:
            hook = "module_enabled" if after["enabled"] else "module_disabled"
            ctx = self.ctx.module_context(name)
            await self.registry.call(name, hook, ctx=ctx, community_id=region["_id"])
            events = self.p.events
            if events is not None:
                await events.emit(hook, community_id=region["_id"], module=name)
        return await self.describe(region, name)

    async def update_settings(self, region_id: str, name: str, settings: Any) -> dict[str, Any]:
        region = await self._region(region_id, write=True)
        self._module(name)
        if not isinstance(settings, dict):
            raise BadUserInput({"settings": "应为 JSON 对象 (must be a JSON object)"})
        changed = await self.registry.states.update_settings(region, name, settings, self.scope.principal.user_id)
        if changed:  # saving unchanged settings logs nothing
            await audit.record(self.ctx, "update_module_settings", "module", {"_id": f"{region['_id']}:{name}",
                               "communityId": region["_id"] if region["level"] == "community" else None,
                               "regionPath": [*region["path"], region["_id"]]}, changed)
        return await self.describe(region, name)

    async def overrides(self, name: str, region_id: str | None) -> list[dict[str, Any]]:
        region = await self._region(region_id, write=True)
        self._module(name)
        rows = await self.registry.states.overrides_below(region["_id"], name)
        regions = await self.p.regions.get_many([r["regionId"] for r in rows])
        return [{"row": r, "region": regions.get(r["regionId"])} for r in rows if regions.get(r["regionId"])]

    async def statistics(self, community_id: str | None, since: datetime | None, until: datetime | None):
        region = await self._region(community_id, write=False)
        self.scope.require_role(*ADMINS, "grid_worker")
        if region["level"] != "community":
            raise BadUserInput({"communityId": "请指定社区 (module statistics are per community)"})
        until = as_utc(until) if until else datetime.now(UTC)
        since = as_utc(since) if since else until - timedelta(days=30)
        if since >= until:
            raise BadUserInput({"since": "开始时间应早于结束时间 (since must be before until)"})
        if until - since > MAX_WINDOW:
            raise BadUserInput({"since": "时间窗口最长3年 (the window is at most 3 years)"})
        out = []
        for name in sorted(await self.registry.enabled_for(region["_id"])):
            ctx = self.registry.context(self.p, name, scope=self.scope, community_id=region["_id"],
                                        request_id=self.ctx.request_id, request_ctx=self.ctx)
            for stats in await self.registry.call(name, "dashboard_statistics", ctx=ctx, community_id=region["_id"],
                                                  since=since, until=until):
                out += [(name, s) for s in stats or []]
        return out
