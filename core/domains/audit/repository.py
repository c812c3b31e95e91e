"""The audit trail: append-only entries of who read or changed what. The API offers no way
to change or delete them."""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel

from community_plus.platform import stamps
from community_plus.platform.repository import Repository


class AuditRepository(Repository):
    collection = "audit"
    indexes = [
        IndexModel([("communityId", ASCENDING), ("_id", DESCENDING)]),
        IndexModel([("regionPath", ASCENDING), ("_id", DESCENDING)]),
        IndexModel([("entityId", ASCENDING), ("_id", DESCENDING)]),
        IndexModel([("actorId", ASCENDING), ("_id", DESCENDING)]),
    ]

    async def append(self, entry: dict[str, Any], session=None) -> None:
        await stamps.insert(self.coll, entry, session=session)

    async def append_many(self, entries: list[dict[str, Any]]) -> None:
        if entries:
            await stamps.insert_all(self.coll, entries, ordered=False)
