"""Relay-style connections for the module's lists (`edges { cursor node }`, `pageInfo`,
`totalCount`), named `<Type>Connection`/`<Type>Edge`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

import strawberry

from ..paging import Page, encode_cursor

T = TypeVar("T")


@strawberry.type(name="ElderCarePageInfo", description="Where a page of an elder-care list sits.")
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


def connection(page: Page, make: Callable[[dict[str, Any]], Any]) -> Connection[Any]:
    edges = [Edge(cursor=encode_cursor(d["_id"]), node=make(d)) for d in page.docs]
    return Connection(edges=edges, total_count=page.total, page_info=PageInfo(
        has_next_page=page.has_next, has_previous_page=page.has_previous,
        start_cursor=edges[0].cursor if edges else None, end_cursor=edges[-1].cursor if edges else None))
