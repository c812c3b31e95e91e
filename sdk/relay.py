"""The one list shape of Community+: Relay connections (`edges { cursor node }`, `pageInfo
{ hasNextPage endCursor hasPreviousPage startCursor }`, `totalCount`) over keyset pages.

Cursors are opaque (an encoded row id); anything but a cursor the server issued is
BAD_USER_INPUT naming `after`, never silently read as the start of the list. `first` must be
≥ 0 and is capped at `MAX_PAGE` (100), as in the core's lists.

Example (a module's list field)::

    from community_plus_sdk.relay import Connection, connection, paginate

    @strawberry.field
    async def notices(self, info: strawberry.Info, first: int = 20,
                      after: str | None = None) -> Connection[Notice]:
        page = await paginate(module.context(info).collection("notices"), {"pinned": True}, first, after)
        return connection(page, Notice.from_row)

`Connection[Notice]` is named `NoticeConnection` in the schema (and `Edge[Notice]`
`NoticeEdge`); `PageInfo` is the core's type.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import strawberry

from .errors import UserInputError

T = TypeVar("T")
MAX_PAGE = 100
DEFAULT_FIRST = 20
INVALID_CURSOR = "无效的分页游标 (invalid cursor: pass an endCursor you received)"


@dataclass(slots=True)
class Page:
    """One page of a keyset-paginated list (`total` None when not counted)."""

    docs: list[dict[str, Any]]
    has_next: bool
    total: int | None
    has_previous: bool = False


def encode_cursor(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode()).decode()


def decode_cursor(cursor: str, path: str = "after") -> str:
    """The row id inside a cursor; anything else raises BAD_USER_INPUT at `path`."""
    try:
        value = base64.b64decode(cursor.encode(), altchars=b"-_", validate=True).decode()
    except (binascii.Error, UnicodeError, ValueError):
        value = ""
    if not value or not value.isprintable() or len(value) > 200 or encode_cursor(value) != cursor:
        raise UserInputError({path: INVALID_CURSOR})
    return value


def page_size(first: int, path: str = "first") -> int:
    """`first` checked (≥ 0) and capped at `MAX_PAGE`."""
    if first < 0:
        raise UserInputError({path: "不能为负数 (must be ≥ 0)"})
    return min(first, MAX_PAGE)


def after_filter(after: str | None, newest_first: bool = True) -> dict[str, Any]:
    """The keyset condition on `_id` for rows after the cursor `after` ({} for the first page)."""
    if not after:
        return {}
    return {"_id": {"$lt" if newest_first else "$gt": decode_cursor(after)}}


def and_(*parts: dict[str, Any]) -> dict[str, Any]:
    """The conjunction of filters, without one overriding another's keys."""
    kept = [p for p in parts if p]
    if not kept:
        return {}
    return kept[0] if len(kept) == 1 else {"$and": kept}


async def paginate(coll: Any, query: dict[str, Any], first: int, after: str | None, *,
                   newest_first: bool = True, with_total: bool = True) -> Page:
    """One page of a module collection (`ScopedCollection`), newest first by default: rows
    inserted meanwhile never cause gaps or repeats."""
    first = page_size(first)
    paged = and_(query, after_filter(after, newest_first))
    docs = await coll.find(paged, sort=[("_id", -1 if newest_first else 1)], limit=first + 1) if first else []
    total = await coll.count(query) if with_total else None
    return Page(docs=docs[:first], has_next=len(docs) > first, total=total, has_previous=bool(after))


@strawberry.type
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
    total_count: int | None = strawberry.field(description="Rows matching the filter, across all pages.")


def connection(page: Page, make: Callable[[dict[str, Any]], Any]) -> Connection[Any]:
    """A `Connection` of a page, each row turned into a node by `make`."""
    edges = [Edge(cursor=encode_cursor(d["_id"]), node=make(d)) for d in page.docs]
    return Connection(edges=edges, total_count=page.total, page_info=PageInfo(
        has_next_page=page.has_next, has_previous_page=page.has_previous,
        start_cursor=edges[0].cursor if edges else None, end_cursor=edges[-1].cursor if edges else None))


def from_rows(rows: list[dict[str, Any]], make: Callable[[dict[str, Any]], Any], first: int,
              after: str | None, total: int | None = None) -> Connection[Any]:
    """A connection over rows already in memory, in their order (a computed list, such as
    one day's diners): the slice after `after` (a row's cursor), at most `first` long."""
    first = page_size(first)
    start = 0
    if after:
        wanted = decode_cursor(after)
        start = next((i + 1 for i, r in enumerate(rows) if r["_id"] == wanted), None)
        if start is None:
            raise UserInputError({"after": INVALID_CURSOR})
    window = rows[start:start + first]
    return connection(Page(docs=window, has_next=start + first < len(rows),
                           total=len(rows) if total is None else total, has_previous=start > 0), make)


def nodes(received: dict[str, Any]) -> list[Any]:
    """The nodes of a connection as a client received it (JSON), in order: for tests.

    Example: ``assert [o["id"] for o in nodes(data["myMealOrders"])] == [first_id]``
    """
    return [edge["node"] for edge in received["edges"]]
