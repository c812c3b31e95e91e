"""Shared repository behaviour: get by id, batch loads, keyset (Relay) pagination."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any, ClassVar

from bson import ObjectId
from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from ..errors import BadUserInput

MAX_PAGE = 100


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


def encode_cursor(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode()).decode()


def decode_cursor(cursor: str, path: str = "after") -> str:
    """The id inside a cursor; anything but a cursor this server issued is BAD_USER_INPUT
    (never silently read as the start of the list)."""
    try:
        value = base64.b64decode(cursor.encode(), altchars=b"-_", validate=True).decode()
    except (binascii.Error, UnicodeError, ValueError):
        value = ""
    if not value or not value.isprintable() or len(value) > 200 or encode_cursor(value) != cursor:
        raise BadUserInput({path: "无效的分页游标 (invalid cursor: pass an endCursor you received)"})
    return value


@dataclass(slots=True)
class Page:
    """One page of a keyset-paginated list."""

    docs: list[dict[str, Any]]
    has_next: bool
    total: int | None
    has_previous: bool = False


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
        if first < 0:
            raise BadUserInput({"first": "不能为负数 (must be ≥ 0)"})
        first = min(first, MAX_PAGE)
        query = dict(filter)
        if after:
            query = {"$and": [filter, {"_id": {"$lt" if newest_first else "$gt": decode_cursor(after)}}]}
        cursor = self.coll.find(query, projection).sort("_id", DESCENDING if newest_first else ASCENDING).limit(first + 1)
        docs = await cursor.to_list()
        total = await self.coll.count_documents(filter) if with_total else None
        return Page(docs=docs[:first], has_next=len(docs) > first, total=total, has_previous=bool(after))
