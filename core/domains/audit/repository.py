"""The audit trail: append-only entries of who read or changed what. The API offers no way
to change or delete them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel

from community_plus.platform import stamps
from community_plus.platform.repository import Page, Repository


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

    async def newest(self, first: int, after: str | None, *, community_id: str | None = None,
                     region: tuple[str, list[str]] | None = None, platform_wide: bool = False,
                     entity_id: str | None = None, action: str | None = None, actor_id: str | None = None,
                     since: datetime | None = None, until: datetime | None = None) -> Page:
        """A page of entries, newest first: of a region subtree (`region`: its id and the ids of
        its communities, since entries written without a regionPath — module data — still name
        their community), of every community (`platform_wide`) or else of `community_id`;
        matching all the conditions given."""
        if region:
            conditions: list[dict[str, Any]] = [{"$or": [{"regionPath": region[0]},
                                                         {"communityId": {"$in": region[1]}}]}]
        else:
            conditions = [] if platform_wide else [{"communityId": community_id}]
        for key, value in (("entityId", entity_id), ("action", action), ("actorId", actor_id)):
            if value:
                conditions.append({key: value})
        at = {op: t for op, t in (("$gte", since), ("$lt", until)) if t}
        if at:
            conditions.append({"at": at})
        query = conditions[0] if len(conditions) == 1 else ({"$and": conditions} if conditions else {})
        return await self.page(query, first, after, newest_first=True)
