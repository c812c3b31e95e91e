"""Service items (the low-code catalogue) and every version of their application forms."""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, IndexModel, ReturnDocument

from community_plus.platform.repository import Repository, scoped
from community_plus.platform import stamps


class ServiceItemRepository(Repository):
    collection = "service_items"
    indexes = [
        IndexModel([("communityId", ASCENDING), ("state", ASCENDING), ("_id", ASCENDING)]),
        IndexModel([("regionId", ASCENDING), ("state", ASCENDING), ("_id", ASCENDING)]),
        IndexModel([("state", ASCENDING), ("regionId", ASCENDING), ("_id", ASCENDING)]),  # published, of the ancestors
        IndexModel([("regionPath", ASCENDING), ("_id", ASCENDING)]),
    ]

    async def insert(self, doc: dict[str, Any], session=None) -> None:
        await stamps.insert(self.coll, doc, session=session)

    async def update(self, id: str, expected: dict[str, Any], changes: dict[str, Any],
                     session=None) -> dict[str, Any] | None:
        return await self.coll.find_one_and_update(
            scoped({"_id": id}, expected), {"$set": changes, "$inc": {"version": 1}},
            return_document=ReturnDocument.AFTER, session=session)


class ServiceFormRepository(Repository):
    """Form versions are immutable: orders keep pointing at the version they were made with."""

    collection = "service_forms"
    indexes = [IndexModel([("itemId", ASCENDING), ("version", ASCENDING)], unique=True)]

    async def insert(self, doc: dict[str, Any], session=None) -> None:
        await stamps.insert(self.coll, doc, session=session)
