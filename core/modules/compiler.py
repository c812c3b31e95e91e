"""Compile declarative SDK models into strawberry types, queries and mutations.

This module deliberately does not use `from __future__ import annotations`: the resolvers it
builds are closures whose annotations must be real type objects at definition time.
"""

import dataclasses
from datetime import datetime
from typing import Any, Optional

import strawberry
from strawberry.scalars import JSON
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from community_plus_sdk import Model
from community_plus_sdk import fields as f
from community_plus_sdk.models import camel

from community_plus.platform.errors import ModuleDisabled
from community_plus_sdk.relay import DEFAULT_FIRST, Connection, connection
from community_plus.modules.model_service import ModelService


@dataclasses.dataclass
class CompiledModel:
    model: type
    object_type: type
    query: type
    mutation: type
    type_names: list[str]
    query_fields: list[str]
    mutation_fields: list[str]
    to_object: Any = None
    """A stored row as an instance of `object_type` (for models referring to this one)."""


def graphql_type(field: f.Field) -> Any:
    if isinstance(field, f.List):
        return list[graphql_type(field.of)]
    if isinstance(field, (f.Image, f.ResidentRef, f.Ref)):
        return strawberry.ID
    return field.python_type


def _make_type(name: str, annotations: dict[str, Any], descriptions: dict[str, str | None], *,
               input: bool = False, description: str | None = None, resolvers: dict[str, Any] | None = None) -> type:
    namespace: dict[str, Any] = {"__annotations__": dict(annotations)}
    for key in annotations:
        if resolvers and key in resolvers:  # computed from the stored row (sealed phones), kept privately
            namespace[key] = resolvers[key]
            continue
        namespace[key] = strawberry.field(default=None, description=descriptions.get(key)) if not input else \
            dataclasses.field(default=None)
    if resolvers:
        namespace["__annotations__"]["_row"] = strawberry.Private[Optional[dict]]
        namespace["_row"] = None
    cls = type(name, (), namespace)
    return (strawberry.input if input else strawberry.type)(cls, name=name, description=description)


def compile_model(module: str, model: type[Model], compiled: Optional[dict] = None) -> CompiledModel:
    """`compiled`: the module's models compiled so far by type name (those this one refers to)."""
    name = model.type_name()
    owned = bool(model.meta("owned_by_resident"))
    out_fields: dict[str, Any] = {"id": strawberry.ID, "community_id": strawberry.ID, "version": int,
                                  "created_at": datetime, "updated_at": datetime}
    if owned:
        out_fields["resident_id"] = Optional[strawberry.ID]
    descriptions = {n: fld.description for n, fld in model.__fields__.items()}
    sealed = {n: fld for n, fld in model.__fields__.items() if isinstance(fld, f.SealedPhone)}
    for n, fld in model.__fields__.items():  # sealed ones keep their place; a resolver computes them
        out_fields[n] = graphql_type(fld) if fld.required else Optional[graphql_type(fld)]

    def service(info: Info) -> ModelService:
        ctx = info.context.module_context(module)
        if module not in info.context.module_set:
            raise ModuleDisabled(f"模块 {module} 未在本社区启用 (module {module} is disabled here)")
        return ModelService(ctx, model)

    resolvers = {n: _sealed_field(n, fld, service) for n, fld in sealed.items()}
    for n, ref in model.references().items():
        target = (compiled or {})[ref.target_name]
        out_fields[ref.object_name] = Optional[target.object_type]
        descriptions[ref.object_name] = f"{ref.target_name} referred to by {n}"
        resolvers[ref.object_name] = _ref_field(module, n, ref, target)
    object_type = _make_type(name, out_fields, descriptions, description=model.type_description(), resolvers=resolvers)

    def to_object(row: dict[str, Any]) -> Any:
        values = {"id": row["_id"], "community_id": row["communityId"], "version": row.get("version", 1),
                  "created_at": row["createdAt"], "updated_at": row["updatedAt"]}
        if owned:
            values["resident_id"] = row.get("residentId")
        for n, fld in model.__fields__.items():
            if n not in sealed:
                values[n] = fld.to_output(row.get(n))
        if resolvers:
            values["_row"] = row
        return object_type(**values)

    writable = {n: fld for n, fld in model.__fields__.items() if not fld.read_only}
    create_fields = {n: (graphql_type(fld) if fld.required else Optional[graphql_type(fld)])
                     for n, fld in writable.items()}
    if owned:
        create_fields["resident_id"] = Optional[strawberry.ID]
    # required inputs have no default: put them first (dataclass ordering)
    create_fields = dict(sorted(create_fields.items(), key=lambda kv: model.__fields__.get(kv[0]) is None
                                or not model.__fields__[kv[0]].required))
    create_input = _make_create_input(f"Create{name}Input", create_fields, model)
    update_input = _make_type(f"Update{name}Input", {n: Optional[graphql_type(fld)] for n, fld in writable.items()},
                              {}, input=True)
    filterable = {n: Optional[graphql_type(fld)] for n, fld in model.__fields__.items() if fld.filter}
    if owned:
        filterable["resident_id"] = Optional[strawberry.ID]
    filter_input = _make_type(f"{name}Filter", filterable or {"id": Optional[strawberry.ID]}, {}, input=True)
    conn = Connection[object_type]

    def plain(obj: Any) -> dict[str, Any]:
        if obj is None:
            return {}
        return {k: v for k, v in vars(obj).items() if v is not None and v is not strawberry.UNSET}

    def to_db_filter(obj: Any) -> dict[str, Any]:
        values = plain(obj)
        if "resident_id" in values:
            values["residentId"] = values.pop("resident_id")
        if "id" in values:
            values["_id"] = values.pop("id")
        return values

    async def list_resolver(info: Info, filter: Optional[filter_input] = None, first: int = DEFAULT_FIRST,
                            after: Optional[str] = None) -> conn:
        page = await service(info).list(to_db_filter(filter), first, after)
        return connection(page, to_object)

    async def get_resolver(info: Info, id: strawberry.ID) -> object_type:
        return to_object(await service(info).get(id))

    async def create_resolver(info: Info, input: create_input) -> object_type:
        return to_object(await service(info).create(plain(input)))

    async def update_resolver(info: Info, id: strawberry.ID, input: update_input,
                              version: Optional[int] = None) -> object_type:
        return to_object(await service(info).update(id, plain(input), version))

    async def delete_resolver(info: Info, id: strawberry.ID) -> bool:
        return await service(info).delete(id)

    single, plural = model.single_field(), model.list_field()
    ops = set(model.meta("operations"))
    queries: dict[str, Any] = {}
    if "list" in ops:
        queries[plural] = strawberry.field(resolver=list_resolver, name=plural,
                                           description=f"{name} rows of the community, newest first.")
    if "get" in ops:
        queries[single] = strawberry.field(resolver=get_resolver, name=single)
    mutations = {f"{op}{name}": strawberry.mutation(resolver=fn, name=f"{op}{name}")
                 for op, fn in (("create", create_resolver), ("update", update_resolver), ("delete", delete_resolver))
                 if op in ops}
    query = strawberry.type(type(f"{name}Queries", (), queries), name=f"{name}Queries") if queries else None
    mutation = strawberry.type(type(f"{name}Mutations", (), mutations), name=f"{name}Mutations") if mutations else None
    inputs = [f"Create{name}Input"] * ("create" in ops) + [f"Update{name}Input"] * ("update" in ops)
    return CompiledModel(model=model, object_type=object_type, query=query, mutation=mutation,
                         type_names=[name, *inputs, f"{name}Filter", f"{name}Connection", f"{name}Edge"],
                         query_fields=list(queries), mutation_fields=list(mutations), to_object=to_object)


def _ref_field(module: str, name: str, ref: f.Ref, target: CompiledModel) -> Any:
    """The row a `Ref` names, through one DataLoader per request and referenced model (one
    query per page, never per row); null when it is gone or the caller may not read it."""
    key = f"model:{module}.{target.model.type_name()}"

    def make_loader(info: Info) -> DataLoader:
        async def load(ids: list[str]) -> list[Optional[dict]]:
            svc = ModelService(info.context.module_context(module), target.model)
            if not any(svc.ctx.has_permission(p) for p in target.model.allowed("read")):
                return [None] * len(ids)
            unique = list(dict.fromkeys(ids))
            rows = await svc.rows.find({"_id": {"$in": unique}, **svc._owner_filter()}, limit=len(unique))
            by_id = {r["_id"]: r for r in rows}
            return [by_id.get(i) for i in ids]

        return DataLoader(load_fn=load)

    async def resolve(root: Any, info: Info) -> Optional[target.object_type]:
        value = getattr(root, name)
        if value is None:
            return None
        row = await info.context.loaders.custom(key, lambda: make_loader(info)).load(value)
        return target.to_object(row) if row is not None else None

    field_name = camel(name)
    return strawberry.field(resolver=resolve, description=f"{field_name} 所指的{ref.target_name} (the {ref.target_name} "
                                                          f"{field_name} names; null when it is gone or not readable "
                                                          "by you)")


def _sealed_field(name: str, fld: f.SealedPhone, service: Any) -> Any:
    """A sealed phone: masked, or in full with `reveal: true` (permitted roles only, audited)."""

    async def resolve(root: Any, info: Info, reveal: bool = False) -> Optional[str]:
        masked = (root._row or {}).get(name)
        if not reveal or masked is None:
            return masked
        return await service(info).reveal(root._row, name)

    who = "whoever may update the row" if fld.reveal is None else ", ".join(fld.reveal)
    description = (f"{fld.description + '; ' if fld.description else ''}默认脱敏 (masked as 138****5678); "
                   f"reveal: true gives the full number to {who} (audited)")
    return strawberry.field(resolver=resolve, description=description)


def _make_create_input(name: str, annotations: dict[str, Any], model: type[Model]) -> type:
    namespace: dict[str, Any] = {"__annotations__": annotations}
    for key in annotations:
        fld = model.__fields__.get(key)
        if fld is None or not fld.required:
            namespace[key] = dataclasses.field(default=None)
    return strawberry.input(type(name, (), namespace), name=name)


__all__ = ["CompiledModel", "JSON", "compile_model"]
