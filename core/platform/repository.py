"""Shared repository behaviour: get by id, batch loads, keyset (Relay) pagination."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, ClassVar

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.cursor import AsyncCursor
from pymongo.asynchronous.database import AsyncDatabase

from community_plus_sdk.relay import MAX_PAGE, Page, decode_cursor, page_size  # noqa: F401  (MAX_PAGE: limits.py)


def new_id() -> str:
    """A new document id: an ObjectId's hex, so ids sort by creation time."""
    return str(ObjectId())


async def in_batches(cursor: AsyncCursor, size: int) -> AsyncIterator[list[dict[str, Any]]]:
    """A cursor's documents, `size` at a time, for passes over a whole collection: one query
    (a query per batch costs the whole matching set each time on the embedded database, which
    materialises matches before the limit); the cursor is closed when the caller stops early."""
    rows: list[dict[str, Any]] = []
    try:
        async for row in cursor.batch_size(size):
            rows.append(row)
            if len(rows) == size:
                yield rows
                rows = []
        if rows:
            yield rows
    finally:
        await cursor.close()


def scoped(query: dict[str, Any], scope_filter: dict[str, Any] | None) -> dict[str, Any]:
    """Combine a query with a scope filter without either overriding the other's keys."""
    if not scope_filter:
        return query
    if query.keys() & scope_filter.keys():
        return {"$and": [query, scope_filter]}
    return {**query, **scope_filter}


def _simplify(value: Any) -> Any:
    """`{"$in": [x]}` and `{"$all": [x]}` are `x` (also for array fields): an equality, which
    every index planner (SecantusDB's included) can serve from a compound index."""
    if isinstance(value, dict) and len(value) == 1:
        (op, arg), = value.items()
        if op in ("$in", "$all") and isinstance(arg, list) and len(arg) == 1 and not isinstance(arg[0], dict):
            return arg[0]
    return value


SCALAR_KEYS = frozenset({"_id", "communityId", "gridId", "householdId"})


def merge_clauses(*clauses: dict[str, Any]) -> dict[str, Any]:
    """The conjunction of `clauses` as one flat filter where the keys allow it.

    `{"$and": [...]}` is what MongoDB plans well but SecantusDB (the test database) plans
    only flat filters on an index (equalities + at most one trailing range or `$in`), so
    clauses are merged: distinct keys side by side; the same scalar key (`SCALAR_KEYS`) twice
    is intersected when both are equalities or `$in` lists; anything else stays in an `$and`."""
    flat: dict[str, Any] = {}
    rest: list[dict[str, Any]] = []
    for clause in clauses:
        for key, value in clause.items():
            value = _simplify(value)
            if key.startswith("$") or key not in flat:
                if key.startswith("$"):
                    rest.append({key: value})
                else:
                    flat[key] = value
                continue
            merged = _intersect(flat[key], value) if key in SCALAR_KEYS else None
            if merged is None:
                rest.append({key: value})
            else:
                flat[key] = merged
    if not rest:
        return flat
    return {"$and": [flat, *rest]} if flat else (rest[0] if len(rest) == 1 else {"$and": rest})


def _intersect(a: Any, b: Any) -> Any:
    """`a` AND `b` on one scalar field as one condition, or None when not expressible."""
    def values(v: Any) -> list[Any] | None:
        if isinstance(v, dict):
            return list(v["$in"]) if set(v) == {"$in"} and isinstance(v["$in"], list) else None
        return None if isinstance(v, list) else [v]

    va, vb = values(a), values(b)
    if va is None or vb is None:
        return None
    both = [x for x in va if x in vb]
    if isinstance(a, dict) or isinstance(b, dict):
        return _simplify({"$in": both})
    return a if both else {"$in": []}


class Repository:
    """Base class; subclasses set `collection` and `indexes`."""

    collection: ClassVar[str]
    indexes: ClassVar[list[IndexModel]] = []

    def __init__(self, db: AsyncDatabase) -> None:
        self.db = db
        self.coll = db[self.collection]

    async def get(self, id: str, scope_filter: dict[str, Any] | None = None,
                  session: AsyncClientSession | None = None) -> dict[str, Any] | None:
        return await self.coll.find_one(scoped({"_id": id}, scope_filter), session=session)

    async def get_many(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        """Batch load by id (used by DataLoaders for parents of already-authorised rows)."""
        if not ids:
            return {}
        return {d["_id"]: d async for d in self.coll.find({"_id": {"$in": list(set(ids))}})}

    async def page(self, filter: dict[str, Any], first: int, after: str | None,
                   newest_first: bool = False, with_total: bool = True,
                   projection: dict[str, Any] | None = None) -> Page:
        """Keyset pagination on `_id`: rows inserted meanwhile never cause gaps or repeats."""
        first = page_size(first)
        query = dict(filter)
        if after:
            bound = {"_id": {"$lt" if newest_first else "$gt": decode_cursor(after)}}
            query = {**filter, **bound} if "_id" not in filter else {"$and": [filter, bound]}
        cursor = self.coll.find(query, projection).sort("_id", DESCENDING if newest_first else ASCENDING).limit(first + 1)
        docs = await cursor.to_list()
        total = await self.coll.count_documents(filter) if with_total else None
        return Page(docs=docs[:first], has_next=len(docs) > first, total=total, has_previous=bool(after))
