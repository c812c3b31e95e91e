"""Generated behaviour of declarative models: permission checks, validation, community and
resident scoping, optimistic concurrency and audit — and the visibility of the files their
`Image` fields reference (`register_file_visibility`)."""

from __future__ import annotations

import inspect
from typing import Any

from community_plus_sdk import Model
from community_plus_sdk.fields import Ref
from community_plus_sdk.models import camel
from community_plus_sdk.relay import Page, paginate

from community_plus.platform.errors import AppError, BadUserInput, Conflict, FieldErrors, Forbidden, NotFound
from community_plus.modules.context import ServerModuleContext
from community_plus.domains.media.service import register_entity_visibility
from community_plus_sdk.fields import Image, List
from community_plus_sdk.fields import ResidentRef

STAFF = ("platform_admin", "region_admin", "community_admin", "grid_worker")
BATCH = 500  # rows a cascade or set-null reads at a time


def _overrides_after_save(model: type[Model]) -> bool:
    return getattr(model.after_save, "__func__", None) is not Model.after_save.__func__


class ModelService:
    def __init__(self, ctx: ServerModuleContext, model: type[Model]) -> None:
        self.ctx = ctx
        self.model = model
        self.rows = ctx.collection(model.collection_name())  # the module datastore: a repository

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
        return await paginate(self.rows, query, first, after)

    async def get(self, id: str) -> dict[str, Any]:
        self._allow("read")
        doc = await self.rows.find_one({"_id": id, **self._owner_filter()})
        if doc is None:
            raise NotFound(self.model.type_name())
        return doc

    async def _check_refs(self, values: dict[str, Any], errors: FieldErrors) -> None:
        """Residents referenced by `ResidentRef` fields must be of this community (and visible)."""

        for name, field in self.model.__fields__.items():
            if isinstance(field, ResidentRef) and values.get(name):
                if await self.ctx.resident(values[name]) is None:
                    errors.add(camel(name), "居民不存在或不在您的范围内 (no such resident in scope)")

    async def _lock_refs(self, values: dict[str, Any]) -> None:
        """Every `Ref` being saved names a row of the community the caller may see; each such
        row is touched in this transaction, so a concurrent delete of it conflicts with us."""
        errors = FieldErrors("input")
        for name, ref in self.model.references().items():
            if values.get(name) is None:
                continue
            target = self.target(ref)
            found = await self.ctx.collection(target.collection_name()).touch(
                {"_id": values[name], **ModelService(self.ctx, target)._owner_filter()})
            if not found:
                errors.add(camel(name), f"所选{target.type_description() or target.type_name()}不存在或不在本社区 "
                                        f"(no {target.type_name()} with this id in the community)")
        errors.raise_if_any()

    def target(self, ref: Ref) -> type[Model]:
        return self.ctx.registry.modules[self.ctx.module].models[ref.target_name]

    def _referrers(self) -> list[tuple[type[Model], str, Ref]]:
        return self.ctx.registry.modules[self.ctx.module].referrers.get(self.model.type_name(), [])

    def _atomic(self) -> bool:
        """Saves of models with references or an `after_save` hook run in a transaction."""
        return bool(self.model.references()) or _overrides_after_save(self.model)

    async def _validated(self, data: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
        values, problems = self.model.clean(data, creating=current is None)
        errors = FieldErrors("input")
        errors.merge(problems)
        if not errors and (values or current is None):
            result = self.model.before_save(values, current, errors)
            if inspect.isawaitable(result):
                await result
        await self._check_refs(values, errors)
        errors.raise_if_any()
        return values

    async def create(self, data: dict[str, Any]) -> dict[str, Any]:
        self._allow("create")
        values = await self._validated(data, None)
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

        async def write(ctx: ServerModuleContext) -> dict[str, Any]:
            svc = ModelService(ctx, self.model)
            await svc._lock_refs(values)
            doc = await svc.rows.insert(dict(values))
            await self.model.after_save(ctx, doc, None)
            return doc

        doc = await (self.ctx.transaction(write) if self._atomic() else write(self.ctx))
        ids, paths = self._file_ids(values)
        await self.ctx.attach_files(ids, self.model.type_name(), doc["_id"], paths)
        await self.ctx.audit("create", self.model.type_name(), doc, sorted(values))
        return doc

    async def update(self, id: str, data: dict[str, Any], version: int | None) -> dict[str, Any]:
        self._allow("update")
        current = await self.get_for_write(id)
        values = await self._validated(data, current)
        if not values:
            return current
        expect = {"version": version if version is not None else current["version"]}

        async def write(ctx: ServerModuleContext) -> dict[str, Any]:
            svc = ModelService(ctx, self.model)
            await svc._lock_refs(values)
            doc = await svc.rows.update({"_id": id, **self._owner_filter()}, values, expect=expect)
            if doc is None:
                raise Conflict("记录已被他人修改，请刷新 (the row changed meanwhile: reload and retry)")
            await self.model.after_save(ctx, doc, current)
            return doc

        doc = await (self.ctx.transaction(write) if self._atomic() else write(self.ctx))
        old = set(self._file_ids(current)[0])
        new = [(fid, path) for fid, path in zip(*self._file_ids(values)) if fid not in old]
        await self.ctx.attach_files([f for f, _ in new], self.model.type_name(), id, [p for _, p in new])
        await self.ctx.audit("update", self.model.type_name(), doc, sorted(values))
        return doc

    async def get_for_write(self, id: str) -> dict[str, Any]:
        doc = await self.rows.find_one({"_id": id})
        if doc is None:
            raise NotFound(self.model.type_name())
        if self._owner_filter() and doc.get("residentId") != self.ctx.caller.resident_id:
            raise NotFound(self.model.type_name())  # another resident's row reads as absent
        return doc

    async def delete(self, id: str) -> bool:
        self._allow("delete")
        doc = await self.get_for_write(id)
        if not self._referrers():
            await self.rows.delete({"_id": id})
            await self.ctx.audit("delete", self.model.type_name(), doc, [])
            await self.ctx.release_files(self.model.type_name(), id)
            return True

        async def work(ctx: ServerModuleContext) -> list[tuple[type[Model], str]]:
            removed: list[tuple[type[Model], str]] = []
            await ModelService(ctx, self.model)._delete_rows([doc], removed, set())
            return removed

        for model, row_id in await self.ctx.transaction(work):  # files are released once it committed
            await self.ctx.release_files(model.type_name(), row_id)
        return True

    async def _delete_rows(self, rows: list[dict[str, Any]], removed: list[tuple[type[Model], str]],
                           seen: set[tuple[str, str]]) -> None:
        """Delete `rows` of this model, then apply the `on_delete` of every reference to them
        (inside the caller's transaction): restrict refuses, cascade recurses, set_null clears."""
        rows = [r for r in rows if (self.model.type_name(), r["_id"]) not in seen]
        if not rows:
            return
        ids = [r["_id"] for r in rows]
        seen.update((self.model.type_name(), i) for i in ids)
        for row in rows:
            if await self.rows.delete({"_id": row["_id"]}):
                await self.ctx.audit("delete", self.model.type_name(), row, [])
                removed.append((self.model, row["_id"]))
        for source, name, ref in self._referrers():
            coll = self.ctx.collection(source.collection_name())
            pointing = {name: {"$in": ids}}
            if ref.on_delete == "restrict":
                if count := await coll.count(pointing):
                    raise Conflict(f"仍有{count}条{source.type_description() or source.type_name()}引用此记录，"
                                   f"不能删除；请先修改或删除它们 (still referenced by {count} {source.type_name()} "
                                   f"row(s) through {camel(name)}: change or delete those first)",
                                   reason="REFERENCED", referencedBy=f"{source.type_name()}.{camel(name)}", count=count)
            elif ref.on_delete == "cascade":
                svc = ModelService(self.ctx, source)
                while batch := [r for r in await coll.find(pointing, sort=[("_id", 1)], limit=BATCH)
                                if (source.type_name(), r["_id"]) not in seen]:
                    await svc._delete_rows(batch, removed, seen)
            else:  # set_null
                while batch := await coll.find(pointing, sort=[("_id", 1)], limit=BATCH):
                    await coll.update_many({"_id": {"$in": [r["_id"] for r in batch]}}, {name: None})
                    for row in batch:
                        await self.ctx.audit("update", source.type_name(), {**row, name: None}, [name])

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
