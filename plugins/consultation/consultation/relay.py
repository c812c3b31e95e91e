"""Relay connections for the module's lists (`edges { cursor node }`, `pageInfo`,
`totalCount`): keyset pages over a scoped collection, newest first, cursors are encoded ids.
(SDK 1.0 ships connection types and a paginator: switch to them then, see the README.)"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any, Generic, TypeVar

import strawberry

from community_plus_sdk import ScopedCollection, UserInputError

T = TypeVar("T")


@strawberry.type(name="ConsultationPageInfo", description="Where a page of a consultation list sits.")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo
    total_count: int = strawberry.field(description="Rows matching the filter, across all pages.")


def _cursor(doc_id: str) -> str:
    return base64.urlsafe_b64encode(doc_id.encode()).decode()


def _after(cursor: str) -> str:
    try:
        value = base64.b64decode(cursor.encode(), altchars=b"-_", validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        value = ""
    if not value:
        raise UserInputError({"after": "无效的分页游标 (invalid cursor: pass an endCursor you received)"})
    return value


async def page(coll: ScopedCollection, query: dict[str, Any], first: int, after: str | None,
               make: Callable[[dict[str, Any]], Any]) -> Connection[Any]:
    """One page of `query`, newest first, as a connection of `make(row)`."""
    if not 0 <= first <= 100:
        raise UserInputError({"first": "应在 0 到 100 之间 (must be between 0 and 100)"})
    paged = {"$and": [query, {"_id": {"$lt": _after(after)}}]} if after else query
    docs = await coll.find(paged, sort=[("_id", -1)], limit=first + 1) if first else []
    edges = [Edge(cursor=_cursor(d["_id"]), node=make(d)) for d in docs[:first]]
    return Connection(edges=edges, total_count=await coll.count(query), page_info=PageInfo(
        has_next_page=len(docs) > first, has_previous_page=bool(after),
        start_cursor=edges[0].cursor if edges else None, end_cursor=edges[-1].cursor if edges else None))
