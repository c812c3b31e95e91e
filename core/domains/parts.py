"""Domain parts created once per platform (kept in `platform.parts`), their indexes ensured
on first use."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from community_plus.platform import db as dbm

if TYPE_CHECKING:
    from community_plus.domains.platform import Platform
    from community_plus.platform.repository import Repository

T = TypeVar("T")


async def platform_part(platform: Platform, key: str, build: Callable[[Platform], T],
                        repositories: Callable[[T], list[Repository]]) -> T:
    """`platform.parts[key]`, built (and its repositories' indexes created) the first time."""
    found: Any = platform.parts.get(key)
    if found is None:
        found = build(platform)
        for repo in repositories(found):  # concurrent first calls both ensure: idempotent
            await dbm.ensure_indexes(platform.db, {repo.collection: repo.indexes})
        platform.parts[key] = found
    return found
