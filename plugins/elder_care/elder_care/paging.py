"""Keyset pagination over a scoped collection, newest first (Relay cursors are encoded ids)."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

from community_plus_sdk import ScopedCollection, UserInputError

from .checks import page_size


@dataclass
class Page:
    docs: list[dict[str, Any]]
    has_next: bool
    total: int
    has_previous: bool = False


def encode_cursor(doc_id: str) -> str:
    return base64.urlsafe_b64encode(doc_id.encode()).decode()


def decode_cursor(cursor: str) -> str:
    try:
        value = base64.b64decode(cursor.encode(), altchars=b"-_", validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        value = ""
    if not value:
        raise UserInputError({"after": "无效的分页游标 (invalid cursor: pass an endCursor you received)"})
    return value


async def paginate(coll: ScopedCollection, query: dict[str, Any], first: int, after: str | None) -> Page:
    first = page_size(first)
    paged = query
    if after:
        cursor = {"_id": {"$lt": decode_cursor(after)}}
        paged = {"$and": [query, cursor]} if query else cursor
    docs = await coll.find(paged, sort=[("_id", -1)], limit=first + 1) if first else []
    total = await coll.count(query)
    return Page(docs[:first], len(docs) > first, total, bool(after))
