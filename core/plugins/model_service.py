"""Generated behaviour of declarative models: permission checks, validation, community and
resident scoping, optimistic concurrency and audit — and the visibility of the files their
`Image` fields reference (`register_file_visibility`)."""

from __future__ import annotations

from typing import Any

from community_plus_sdk import Model
from community_plus_sdk.models import camel
from community_plus_sdk.relay import Page, paginate

from ..errors import AppError, BadUserInput, Conflict, Forbidden, NotFound
from .context import ServerModuleContext

STAFF = ("platform_admin", "region_admin", "community_admin", "grid_worker")


class ModelService:
    def __init__(self, ctx: ServerModuleContext, model: type[Model]) -> None:
        self.ctx = ctx
        self.model = model
        self.coll = ctx.collection(model.collection_name())

    def _allow(self, action: str) -> None:
        self.ctx.require_caller()
        allowed = self.model.allowed(action)
        if not any(self.ctx.has_permission(p) for p in allowed):
            raise Forbidden(f"您的角色不能{action} {self.model.type_name()} ({self.ctx.caller.role} may not {action})")

    def _owner_filter(self) -> dict[str, Any]:
        """Residents see only their own rows of resident-owned models."""
        if self.model.meta("owned_by_resident") and self.ctx.caller.role == "resident":
            return {"residentId": self.ctx.caller.resident_id or "\x00"}
        return {}

    async def list(self, filters: dict[str, Any], first: int, after: str | None) -> Page:
        self._allow("read")
        filters, problems = self.model.clean_filter(filters)
        if problems:
            raise BadUserInput(problems)
        query = {**{k: v for k, v in filters.items() if v is not None}, **self._owner_filter()}
        return await paginate(self.coll, query, first, after)

    async def get(self, id: str) -> dict[str, Any]:
        self._allow("read")
        doc = await self.coll.find_one({"_id": id, **self._owner_filter()})
        if doc is None:
            raise NotFound(self.model.type_name())
        return doc

    async def _check_refs(self, values: dict[str, Any]) -> None:
        from community_plus_sdk.fields import ResidentRef

        for name, field in self.model.__fields__.items():
            if isinstance(field, ResidentRef) and values.get(name):
                if await self.ctx.resident(values[name]) is None:
                    raise BadUserInput({f"input.{camel(name)}": "居民不存在或不在您的范围内 (no such resident in scope)"})

    async def create(self, data: dict[str, Any]) -> dict[str, Any]:
        self._allow("create")
        values, problems = self.model.clean(data, creating=True)
        if not problems:
            self.model.before_save(values, None, problems)
        if problems:
            raise BadUserInput(problems)
        await self._check_refs(values)
        caller = self.ctx.caller
        if self.model.meta("owned_by_resident"):
            if caller.role == "resident":
                if not caller.resident_id:
                    raise Forbidden("请先绑定居民身份 (bind your resident record first)")
                values["residentId"] = caller.resident_id
            else:
                rid = data.get("resident_id")
                if not rid or await self.ctx.resident(rid) is None:
                    raise BadUserInput({"input.residentId": "代居民创建时需指定本社区居民 (give a resident of this community)"})
                values["residentId"] = rid
        values["createdBy"] = caller.user_id
        doc = await self.coll.insert(values)
        ids, paths = self._file_ids(values)
        await self.ctx.attach_files(ids, self.model.type_name(), doc["_id"], paths)
        await self.ctx.audit("create", self.model.type_name(), doc, sorted(values))
        return doc

    async def update(self, id: str, data: dict[str, Any], version: int | None) -> dict[str, Any]:
        self._allow("update")
        current = await self.get_for_write(id)
        values, problems = self.model.clean(data, creating=False)
        if not problems and values:
            self.model.before_save(values, current, problems)
        if problems:
            raise BadUserInput(problems)
        await self._check_refs(values)
        if not values:
            return current
        expect = {"version": version if version is not None else current["version"]}
        doc = await self.coll.update({"_id": id, **self._owner_filter()}, values, expect=expect)
        if doc is None:
            raise Conflict("记录已被他人修改，请刷新 (the row changed meanwhile: reload and retry)")
        old = set(self._file_ids(current)[0])
        new = [(fid, path) for fid, path in zip(*self._file_ids(values)) if fid not in old]
        await self.ctx.attach_files([f for f, _ in new], self.model.type_name(), id, [p for _, p in new])
        await self.ctx.audit("update", self.model.type_name(), doc, sorted(values))
        return doc

    async def get_for_write(self, id: str) -> dict[str, Any]:
        doc = await self.coll.find_one({"_id": id})
        if doc is None:
            raise NotFound(self.model.type_name())
        if self._owner_filter() and doc.get("residentId") != self.ctx.caller.resident_id:
            raise NotFound(self.model.type_name())  # another resident's row reads as absent
        return doc

    async def delete(self, id: str) -> bool:
        self._allow("delete")
        doc = await self.get_for_write(id)
        await self.coll.delete({"_id": id})
        await self.ctx.audit("delete", self.model.type_name(), doc, [])
        await self.ctx.release_files(self.model.type_name(), id)
        return True

    async def reveal(self, row: dict[str, Any], name: str) -> str | None:
        """The full value of a sealed field of `row`, for permitted callers only; audited."""
        fld = self.model.__fields__[name]
        caller = self.ctx.require_caller()
        allowed = fld.reveal if getattr(fld, "reveal", None) is not None else self.model.allowed("update")
        own = bool(self.model.meta("owned_by_resident") and caller.role == "resident" and caller.resident_id
                   and row.get("residentId") == caller.resident_id)
        if not own and not any(self.ctx.has_permission(p) for p in allowed):
            raise Forbidden(f"无权查看完整的手机号 (your role may not reveal {camel(name)})")
        return await self.ctx.reveal(self.model.collection_name(), row["_id"], name, entity=self.model.type_name())

    def _file_ids(self, values: dict[str, Any]) -> tuple[list[str], list[str]]:
        """Uploaded-file ids referenced by `Image` fields (or lists of them), and their input paths."""
        from community_plus_sdk.fields import Image, List

        ids: list[str] = []
        paths: list[str] = []
        for name, fld in self.model.__fields__.items():
            value = values.get(name)
            if isinstance(fld, Image) and isinstance(value, str):
                ids.append(value)
                paths.append(f"input.{camel(name)}")
            elif isinstance(fld, List) and isinstance(fld.of, Image) and isinstance(value, list):
                ids += value
                paths += [f"input.{camel(name)}.{i}" for i in range(len(value))]
        return ids, paths


def register_file_visibility(platform: Any, registry: Any) -> None:
    """Files attached to a model's row (`<module>.<Type>`) are visible to whoever may read that
    row: the model's read permission, resident ownership and the module being on."""
    from ..media.service import register_entity_visibility

    for loaded in registry.modules.values():
        for compiled in loaded.compiled:
            entity = f"{loaded.name}.{compiled.model.type_name()}"
            register_entity_visibility(platform, entity, _row_visibility(loaded.name, compiled.model))


def _row_visibility(module: str, model: type[Model]) -> Any:
    async def can_see(ctx: Any, row_id: str) -> bool:
        mctx = ctx.module_context(module)
        if not mctx.community_id or not await mctx.is_enabled():
            return False
        try:
            await ModelService(mctx, model).get(row_id)
        except AppError:  # FORBIDDEN (no read permission) or NOT_FOUND (not this caller's row)
            return False
        return True

    return can_see
