"""Scoped data access for modules: a module reaches only its own collections
(`<module>__<name>`), and every operation is narrowed to the current community.

Filters and pipelines are checked before they reach the database: aggregation stages come
from an allow-list (at every level: inside `$facet` too), and stages or operators that read
other collections or run JavaScript are refused wherever they are nested."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from community_plus.platform.stamps import insert_once

from community_plus_sdk.context import ScopedCollection
from community_plus_sdk.errors import ConflictError

from community_plus.platform.errors import BadUserInput, Forbidden
from community_plus.platform.repository import merge_clauses, new_id
from community_plus.modules.sealing import Sealer

# Stages a module's pipeline may use, at the top level and inside `$facet`: each reads only
# the documents flowing into it, which start as the module's own rows of one community.
ALLOWED_STAGES = frozenset({"$match", "$project", "$addFields", "$set", "$unset", "$group", "$sort", "$limit", "$skip",
                            "$count", "$unwind", "$bucket", "$bucketAuto", "$sortByCount", "$replaceRoot",
                            "$replaceWith", "$sample", "$redact", "$setWindowFields", "$densify", "$fill", "$facet"})
# Refused anywhere in a filter or pipeline, however deeply nested (`$facet`, `$lookup`
# sub-pipelines, `$unionWith`, expressions): they read or write other collections, the
# server's state, or run JavaScript.
FORBIDDEN_STAGES = frozenset({"$out", "$merge", "$unionWith", "$lookup", "$graphLookup", "$documents",
                              "$changeStream", "$changeStreamSplitLargeEvent", "$collStats", "$indexStats",
                              "$currentOp", "$listSessions", "$listLocalSessions", "$planCacheStats",
                              "$listSearchIndexes", "$listSampledQueries", "$querySettings", "$queryStats",
                              "$shardedDataDistribution", "$listClusterCatalog", "$listCatalog", "$search",
                              "$searchMeta", "$vectorSearch", "$geoNear"})
FORBIDDEN_OPERATORS = frozenset({"$where", "$function", "$accumulator"})
_FORBIDDEN = FORBIDDEN_STAGES | FORBIDDEN_OPERATORS
LOCK_FIELD = "_refLock"  # written by `touch`, never read


def physical_name(module: str, name: str) -> str:
    return f"{module}__{name}"


def _refuse(name: str) -> Forbidden:
    kind = "operator" if name in FORBIDDEN_OPERATORS else "aggregation stage"
    return Forbidden(f"模块不能使用 {name} (the {kind} {name} is not available to modules: they read only their "
                     "own collections, in one community)")


def check_filter(value: Any) -> None:
    """Refuse a forbidden stage or operator anywhere inside `value` (a filter, a stage, an expression)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, Mapping):  # dicts, SON, RawBSONDocument
            for key, inner in item.items():
                if key in _FORBIDDEN:
                    raise _refuse(key)
                stack.append(inner)
        elif isinstance(item, (list, tuple)):
            stack.extend(item)


def check_pipeline(pipeline: Any) -> None:
    """A module's aggregation pipeline: allowed stages only (also inside `$facet`), and no
    forbidden stage or operator at any depth. FORBIDDEN otherwise."""
    check_filter(pipeline)
    pending: list[tuple[Any, bool]] = [(pipeline, True)]
    while pending:
        stages, top = pending.pop()
        if not isinstance(stages, list):
            raise Forbidden("聚合管道应为阶段列表 (an aggregation pipeline is a list of stages)")
        for stage in stages:
            if not isinstance(stage, Mapping) or len(stage) != 1:
                raise Forbidden("每个聚合阶段只能有一个 $ 键 (each aggregation stage is a document with one $stage key)")
            (name, spec), = stage.items()
            if name not in ALLOWED_STAGES or (name == "$facet" and not top):
                raise _refuse(name) if name in _FORBIDDEN else Forbidden(
                    f"模块不能使用 {name} (aggregation stage {name} is not available to modules here; allowed: "
                    f"{', '.join(sorted(ALLOWED_STAGES))}, $facet at the top level only)")
            if name == "$facet":
                if not isinstance(spec, Mapping):
                    raise Forbidden("$facet 的值应为管道的文档 ($facet takes a document of pipelines)")
                pending.extend((sub, False) for sub in spec.values())


class CommunityCollection(ScopedCollection):
    """A module collection seen from one community; `session` joins a transaction; `sealer`
    seals, finds and masks its sealed fields (see `sealing`)."""

    def __init__(self, coll: AsyncCollection, community_id: str, owner_module: str, session=None,
                 sealer: Sealer | None = None) -> None:
        self.coll = coll
        self.community_id = community_id
        self.owner_module = owner_module
        self.session = session
        self.sealer = sealer

    def _scope(self, filter: dict[str, Any] | None) -> dict[str, Any]:
        check_filter(filter or {})
        if not filter:
            return {"communityId": self.community_id}
        if self.sealer:
            filter = self.sealer.rewrite(filter)
        return merge_clauses(filter, {"communityId": self.community_id})  # flat: index-plannable

    def _out(self, doc: dict[str, Any] | None) -> dict[str, Any] | None:
        return self.sealer.public(doc) if self.sealer else doc

    async def find(self, filter=None, *, sort=None, limit: int = 100) -> list[dict[str, Any]]:
        cursor = self.coll.find(self._scope(filter), session=self.session).limit(max(1, min(limit, 1000)))
        if sort:
            cursor = cursor.sort(sort)
        rows = await cursor.to_list()
        return [self._out(r) for r in rows] if self.sealer else rows

    async def find_one(self, filter: dict[str, Any]) -> dict[str, Any] | None:
        return self._out(await self.coll.find_one(self._scope(filter), session=self.session))

    async def reveal(self, row_id: str, field: str) -> tuple[dict[str, Any], str | None] | None:
        """(the row as modules see it, the field's full value), or None when there is no such row."""
        if not self.sealer or field not in self.sealer.labels:
            raise Forbidden(f"{field} 不是加密字段 ({field} is not a sealed field of this collection)")
        doc = await self.coll.find_one(self._scope({"_id": row_id}), session=self.session)
        if doc is None:
            return None
        return self.sealer.public(doc), self.sealer.open(doc, field)

    async def count(self, filter=None) -> int:
        return await self.coll.count_documents(self._scope(filter), session=self.session)

    async def insert(self, row: dict[str, Any]) -> dict[str, Any]:
        now = datetime.now(UTC)
        if self.sealer:
            row = self.sealer.seal(row)
        doc = {"_id": new_id(), "createdAt": now, "updatedAt": now, "version": 1, **row,
               "communityId": self.community_id}
        try:
            doc = await insert_once(self.coll, doc, self.session)
        except DuplicateKeyError as exc:
            raise ConflictError("记录已存在 (a row with the same unique key exists)") from exc
        return self._out(doc)

    async def update(self, filter, changes, *, expect=None, inc=None) -> dict[str, Any] | None:
        query = self._scope({**filter, **(expect or {})})
        if "communityId" in changes:
            raise BadUserInput({"communityId": "modules cannot move rows between communities"})
        if self.sealer:
            changes = self.sealer.seal(changes)
        update: dict[str, Any] = {"$set": {**changes, "updatedAt": datetime.now(UTC)}, "$inc": {"version": 1, **(inc or {})}}
        return self._out(await self.coll.find_one_and_update(query, update, return_document=ReturnDocument.AFTER,
                                                             session=self.session))

    async def delete(self, filter: dict[str, Any]) -> bool:
        result = await self.coll.delete_one(self._scope(filter), session=self.session)
        return result.deleted_count == 1

    async def update_many(self, filter: dict[str, Any], changes: dict[str, Any]) -> int:
        """Set `changes` on every matching row (version bumped); how many changed."""
        if self.sealer:
            changes = self.sealer.seal(changes)
        update = {"$set": {**changes, "updatedAt": datetime.now(UTC)}, "$inc": {"version": 1}}
        return (await self.coll.update_many(self._scope(filter), update, session=self.session)).modified_count

    async def touch(self, filter: dict[str, Any]) -> bool:
        """Write to the one row matching `filter` without changing what it holds (a counter
        that is never read): inside a transaction this makes any concurrent write of that row
        — its delete above all — conflict with ours, so a reference checked here cannot be
        left dangling. False when no such row exists in the community."""
        result = await self.coll.update_one(self._scope(filter), {"$inc": {LOCK_FIELD: 1}}, session=self.session)
        return result.matched_count == 1

    async def aggregate(self, pipeline: list[dict[str, Any]]) -> list[dict[str, Any]]:
        check_pipeline(pipeline)
        full = [{"$match": {"communityId": self.community_id}}, *pipeline]
        return await (await self.coll.aggregate(full, session=self.session)).to_list()
