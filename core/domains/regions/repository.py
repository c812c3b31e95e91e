"""Regions: province → city → district → street → community, one collection, path-indexed."""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, IndexModel

from community_plus.platform.repository import Repository, scoped

LEVELS = ("province", "city", "district", "street", "community")


class RegionRepository(Repository):
    collection = "regions"
    indexes = [
        IndexModel([("parentId", ASCENDING), ("_id", ASCENDING)]),
        IndexModel([("path", ASCENDING), ("level", ASCENDING), ("_id", ASCENDING)]),
        IndexModel([("level", ASCENDING), ("_id", ASCENDING)]),
    ]

    async def children(self, parent_id: str | None, scope_filter: dict[str, Any]) -> list[dict[str, Any]]:
        return await self.coll.find(scoped({"parentId": parent_id}, scope_filter)).sort("_id", ASCENDING).to_list()

    async def upsert(self, doc: dict[str, Any]) -> None:
        await self.coll.update_one({"_id": doc["_id"]}, {"$setOnInsert": doc}, upsert=True)

    async def count(self) -> int:
        return await self.coll.estimated_document_count()

    async def community_ids_under(self, region_id: str) -> list[str]:
        """Ids of the communities in `region_id`'s subtree (the path/level index)."""
        return [d["_id"] async for d in self.coll.find({"level": "community", "path": region_id}, {"_id": 1})]

    async def community_names(self, community_id: str | None = None) -> dict[str, str]:
        """id → name of every community, or of `community_id` only."""
        query = {"level": "community", **({"_id": community_id} if community_id else {})}
        return {d["_id"]: d["name"] for d in await self.coll.find(query, {"name": 1}).to_list()}
