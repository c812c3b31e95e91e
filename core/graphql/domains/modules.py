"""`modules`, `setModuleEnabled`, `updateModuleSettings`, overrides and module statistics."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON

from community_plus.domains.community_modules.service import ModuleService
from community_plus.platform.context import Ctx
from community_plus.graphql.domains.types import Role


@strawberry.type
class ModulePermission:
    name: str
    description: str
    roles: list[str]


@strawberry.type(description="A page the module adds to the admin console (shown where it is enabled).")
class ModuleConsolePage:
    path: str = strawberry.field(description="The console route is #/m/<module>/<path>.")
    title: str
    description: str
    script: str = strawberry.field(description="URL of the page's ES module (exports render(ctx)).")
    roles: list[Role] = strawberry.field(description="Staff roles the page is shown to (platform and region "
                                                     "admins acting in a community see community admins' pages).")


@strawberry.type(description="A module (plugin) as seen from a community or region.")
class Module:
    name: str
    title: str
    description: str
    version: str
    icon: str | None
    entry_page: str | None
    enabled: bool
    decided_at: strawberry.ID | None = strawberry.field(
        description="Region whose decision applies (the community itself, a street…); null: the module's default.")
    overridden_here: bool = strawberry.field(description="This region decides for itself.")
    settings: JSON | None = strawberry.field(description="Effective settings (admins only; secrets masked).")
    settings_schema: JSON
    permissions: list[ModulePermission]
    console_pages: list[ModuleConsolePage]

    @classmethod
    def of(cls, d: dict[str, Any]) -> Module:
        m = d["loaded"].manifest
        return cls(name=m.name, title=m.title, description=m.description, version=m.version, icon=m.icon,
                   entry_page=m.entry_page, enabled=bool(d["enabled"]), decided_at=d["source"],
                   overridden_here=d["own"] is not None, settings=d["settings"], settings_schema=m.settings_schema,
                   permissions=[ModulePermission(name=p.name, description=p.description, roles=list(p.roles))
                                for p in d["loaded"].permissions],
                   console_pages=[ModuleConsolePage(path=c.path, title=c.title, description=c.description,
                                                    script=f"/admin/modules/{m.name}/{c.script}",
                                                    roles=[Role(r) for r in c.roles]) for c in m.console_pages])


@strawberry.type
class ModuleOverride:
    region_id: strawberry.ID
    region_name: str
    level: str
    enabled: bool | None
    settings: JSON | None


@strawberry.type
class ModuleStat:
    module: str
    key: str
    label: str
    value: float | None
    unit: str | None


@strawberry.type
class ModulesQuery:
    @strawberry.field(description="The modules of a community (default: the current one) or region.")
    async def modules(self, info: Ctx, community_id: strawberry.ID | None = None) -> list[Module]:
        return [Module.of(d) for d in await ModuleService(info.context).list(community_id)]

    @strawberry.field(description="Regions below `regionId` that decide a module for themselves.")
    async def module_overrides(self, info: Ctx, module: str, region_id: strawberry.ID | None = None) -> list[ModuleOverride]:
        rows = await ModuleService(info.context).overrides(module, region_id)
        return [ModuleOverride(region_id=r["region"]["_id"], region_name=r["region"]["name"], level=r["region"]["level"],
                               enabled=r["row"].get("enabled"), settings=r["row"].get("settings")) for r in rows]

    @strawberry.field(description="Dashboard figures contributed by the community's enabled modules.")
    async def module_statistics(self, info: Ctx, community_id: strawberry.ID | None = None,
                                since: datetime | None = None, until: datetime | None = None) -> list[ModuleStat]:
        rows = await ModuleService(info.context).statistics(community_id, since, until)
        return [ModuleStat(module=m, key=s.key, label=s.label, value=None if s.value is None else float(s.value),
                           unit=s.unit) for m, s in rows]


@strawberry.type
class ModulesMutation:
    @strawberry.mutation(description="Switch a module on or off for a community, or as the default of a region "
                                     "subtree; null removes this region's own decision (inherit).")
    async def set_module_enabled(self, info: Ctx, community_id: strawberry.ID, module: str,
                                 enabled: bool | None) -> Module:
        return Module.of(await ModuleService(info.context).set_enabled(community_id, module, enabled))

    @strawberry.mutation(description="Change module settings (validated against its settings schema).")
    async def update_module_settings(self, info: Ctx, community_id: strawberry.ID, module: str,
                                     settings: JSON) -> Module:
        return Module.of(await ModuleService(info.context).update_settings(community_id, module, settings))
