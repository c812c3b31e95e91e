"""The server's implementation of the SDK's `ModuleContext`."""

from __future__ import annotations

from typing import Any

from community_plus_sdk.context import Caller, ModuleContext
from community_plus_sdk.settings import load

from community_plus.platform.errors import BadUserInput, Forbidden, Unauthenticated
from community_plus.platform.repository import scoped
from community_plus.platform.transactions import in_transaction
from community_plus.modules.datastore_repository import AllCommunities, CommunityCollection
from community_plus.modules.sealing import Sealer, sealed_fields
from community_plus.domains.family.repository import GuardianshipRepository
from community_plus.domains.audit import service as audit
from community_plus.domains.media.service import release_files
from community_plus.domains.notifications.service import MODULE_TEMPLATE, notice_messages
from community_plus.domains.work_orders.attachments import attach
from community_plus.modules.directory import ServerResidentDirectory
from community_plus.modules.directory import invite_staff
from community_plus.modules.realtime import publish
from community_plus.modules.realtime import subscribe

SUPERVISORS = ("platform_admin", "region_admin")


class ServerModuleContext(ModuleContext):
    """One module's view of one request (or of a system task when `scope` is None)."""

    def __init__(self, platform: Any, registry: Any, module: str, *, scope: Any = None,
                 community_id: str | None = None, request_id: str | None = None, request_ctx: Any = None) -> None:
        self.platform = platform
        self.registry = registry
        self.module = module
        self.scope = scope
        self.request_ctx = request_ctx
        p = scope.principal if scope else None
        self.caller = Caller(user_id=p.user_id, role=p.role, name=p.display_name, community_id=p.community_id,
                             resident_id=p.resident_id, grid_ids=p.grid_ids) if p else None
        self.community_id = community_id if community_id is not None else (scope.community_id if scope else None)
        self.request_id = request_id
        self._session = None

    def _community(self) -> str:
        if not self.community_id:
            raise BadUserInput({"X-Community-Id": "请选择社区：设置 X-Community-Id 请求头 (choose a community with the "
                                                   "X-Community-Id header)"})
        return self.community_id

    def collection(self, name: str) -> CommunityCollection:
        loaded = self.registry.modules[self.module]
        if name not in loaded.collection_names:
            raise Forbidden(f"module {self.module} has no collection {name!r} (declare it with a model or "
                            "register_collections)")
        return CommunityCollection.of(self.platform.db, self.module, name, self._community(), session=self._session,
                                      sealer=self._sealer(name))

    def _sealer(self, name: str) -> Sealer | None:
        fields = sealed_fields(self.registry.modules[self.module], name)
        return Sealer.of(self.platform.keyring, self.module, name, fields)

    async def is_enabled(self, community_id: str | None = None) -> bool:
        cid = community_id or self.community_id
        return bool(cid) and self.module in await self.registry.states.enabled_for(cid)

    def for_community(self, community_id: str) -> ServerModuleContext:
        if self.scope is not None:
            raise Forbidden("for_community is for system tasks only")
        return self.registry.context(self.platform, self.module, community_id=community_id)

    def unscoped_collection(self, name: str) -> AllCommunities:
        if self.scope is not None:
            raise Forbidden("unscoped collections are for system tasks (migrate) only")
        if name not in self.registry.modules[self.module].collection_names:
            raise Forbidden(f"module {self.module} has no collection {name!r}")
        return AllCommunities.of(self.platform.db, self.module, name, self._sealer(name))

    async def settings(self) -> Any:
        values = await self.registry.states.effective_settings(self._community(), self.module)
        typed = self.registry.modules[self.module].manifest.settings
        return load(typed, values) if typed is not None else values

    def require_caller(self) -> Caller:
        if self.caller is None:
            raise self.scope.auth_error if self.scope and self.scope.auth_error else Unauthenticated()
        return self.caller

    def has_permission(self, permission: str) -> bool:
        """Role names grant themselves; permission names grant their declared roles. Platform
        and region admins acting in a community hold whatever community admins hold."""
        if self.caller is None:
            return False
        if "." not in permission:
            roles: tuple[str, ...] = (permission,)
        else:
            declared = self.registry.permission_roles.get(permission)
            if declared is None:
                raise KeyError(f"permission {permission!r} is not declared by any module")
            roles = declared
        role = self.caller.role
        if role in SUPERVISORS and "community_admin" in roles:
            return True
        return role in roles

    def require_permission(self, permission: str) -> None:
        self.require_caller()
        if not self.has_permission(permission):
            raise Forbidden(f"需要权限 {permission} (your role lacks {permission})")

    async def resident(self, resident_id: str) -> dict[str, Any] | None:
        scope_filter = self.scope.resident_filter() if self.scope else {}
        doc = await self.platform.residents.get(resident_id, scoped({"communityId": self._community()}, scope_filter))
        if doc is None:
            return None
        return {k: v for k, v in doc.items() if not k.endswith(("Sealed", "Hash"))}

    async def audit(self, action: str, entity: str, row: dict[str, Any], fields: list[str] | None = None) -> None:

        if self.request_ctx is not None:
            community = await self.request_ctx.loaders.by_id("regions").load(self.community_id) if self.community_id else None
            path = [*community["path"], community["_id"]] if community else []
            await audit.record(self.request_ctx, action, f"{self.module}.{entity}",
                               {"communityId": self.community_id, "regionPath": path, **row}, fields,
                               session=self._session)

    async def transaction(self, fn) -> Any:
        async def run(session):
            tx = self.registry.context(self.platform, self.module, scope=self.scope, community_id=self.community_id,
                                       request_id=self.request_id, request_ctx=self.request_ctx)
            tx._session = session
            return await fn(tx)

        return await in_transaction(self.platform.client, run)

    async def attach_files(self, file_ids: list[str], entity: str, entity_id: str,
                           paths: list[str] | None = None) -> None:
        if not file_ids:
            return

        names = list(paths or []) + [f"fileIds.{i}" for i in range(len(paths or []), len(file_ids))]
        await attach(self._request(), list(zip(file_ids, names)), f"{self.module}.{entity}", entity_id,
                     community_id=self._community())

    async def release_files(self, entity: str, entity_id: str) -> None:

        await release_files(self._request(), f"{self.module}.{entity}", entity_id)

    def _request(self) -> Any:
        if self.request_ctx is None:
            raise Forbidden("files can be attached only while handling a request")
        return self.request_ctx

    async def notify(self, user_ids: list[str], title: str, state: str, page: str | None = None) -> None:
        """The core's notice path (`notice_messages` → outbox → `WeChatSender`), template
        `module_notice`; the message shows `ctx.now()` (a moved clock too) in China time."""

        docs = notice_messages(list(dict.fromkeys(user_ids)), template=MODULE_TEMPLATE, title=title, state=state,
                               page=page, aggregate_id=self.module, event=f"{self.module}:{state}",
                               shown_at=self.now())
        await self.platform.outbox.insert_many(docs, session=self._session)

    async def publish(self, topic: str, data: dict[str, Any], *, user_ids: list[str] | None = None,
                      permission: str | None = None) -> None:

        await publish(self, topic, data, user_ids=user_ids, permission=permission)

    def subscribe(self, topic: str, *, after: str | None = None):

        return subscribe(self, topic, after=after)

    async def reveal(self, collection: str, row_id: str, field: str, entity: str | None = None) -> str | None:
        found = await self.collection(collection).reveal(row_id, field)
        if found is None:
            return None
        row, value = found
        await self.audit("reveal", entity or collection, row, [field])
        return value

    async def wards(self) -> list[dict[str, Any]]:
        caller = self.caller
        if caller is None or not caller.resident_id:
            return []
        ward_ids = await GuardianshipRepository(self.platform.db).ward_ids_of(caller.resident_id)
        found = await self.platform.residents.get_many(ward_ids)
        return [{k: v for k, v in d.items() if not k.endswith(("Sealed", "Hash"))} for d in found.values()
                if d.get("communityId") == self.community_id]

    async def grids(self) -> list[dict[str, Any]]:
        return [{"_id": g["_id"], "name": g.get("name")} for g in await self.platform.grids.of_community(self._community())]

    async def grid_workers(self, grid_id: str) -> list[dict[str, Any]]:
        grid = await self.platform.grids.get(grid_id, {"communityId": self._community()})
        if grid is None:
            return []
        users = await self.platform.users.get_many(list(grid.get("workerIds", [])))
        return [{"_id": u["_id"], "name": u.get("displayName"), "phone": u.get("phone")} for u in users.values()]

    async def check_content(self, text: str, scene: int = 2) -> str:
        checker = self.platform.content_check
        if checker is None:
            return "pass"
        return await checker(self, text, scene)

    # -- residents' figures and staff invitations (`community_plus_sdk.directory`; directory.py)
    @property
    def residents(self) -> Any:

        return ServerResidentDirectory(self)

    async def invite_staff(self, role: str, name: str, *, expires_in_days: int = 7, path: str = "input") -> Any:

        return await invite_staff(self, role, name, expires_in_days, path)
