"""Shared repository behaviour: get by id, batch loads, keyset (Relay) pagination."""

from __future__ import annotations

from typing import Any, ClassVar

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from community_plus_sdk.relay import MAX_PAGE, Page, decode_cursor, page_size  # noqa: F401  (MAX_PAGE: limits.py)


def new_id() -> str:
    """A new document id: an ObjectId's hex, so ids sort by creation time."""
    return str(ObjectId())


def scoped(query: dict[str, Any], scope_filter: dict[str, Any] | None) -> dict[str, Any]:
    """Combine a query with a scope filter without either overriding the other's keys."""
    if not scope_filter:
        return query
    if query.keys() & scope_filter.keys():
        return {"$and": [query, scope_filter]}
    return {**query, **scope_filter}


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
            query = {"$and": [filter, {"_id": {"$lt" if newest_first else "$gt": decode_cursor(after)}}]}
        cursor = self.coll.find(query, projection).sort("_id", DESCENDING if newest_first else ASCENDING).limit(first + 1)
        docs = await cursor.to_list()
        total = await self.coll.count_documents(filter) if with_total else None
        return Page(docs=docs[:first], has_next=len(docs) > first, total=total, has_previous=bool(after))
