"""Grids (网格): areas inside a community with a GeoJSON boundary and grid workers."""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, GEOSPHERE, IndexModel, ReturnDocument

from community_plus.platform.repository import Repository, scoped
from community_plus.platform import stamps


class GridRepository(Repository):
    collection = "grids"
    indexes = [
        IndexModel([("communityId", ASCENDING), ("_id", ASCENDING)]),
        IndexModel([("regionPath", ASCENDING), ("_id", ASCENDING)]),
        IndexModel([("boundary", GEOSPHERE)]),
        IndexModel([("workerIds", ASCENDING)]),
    ]

    async def at_point(self, lon: float, lat: float, scope_filter: dict[str, Any]) -> dict[str, Any] | None:
        point = {"type": "Point", "coordinates": [lon, lat]}
        return await self.coll.find_one(scoped({"boundary": {"$geoIntersects": {"$geometry": point}}}, scope_filter))

    async def insert(self, doc: dict[str, Any]) -> None:
        await stamps.insert(self.coll, doc)

    async def update(self, id: str, changes: dict[str, Any]) -> dict[str, Any] | None:
        return await self.coll.find_one_and_update({"_id": id}, {"$set": changes}, return_document=ReturnDocument.AFTER)

    async def of_community(self, community_id: str) -> list[dict[str, Any]]:
        return await self.coll.find({"communityId": community_id}).sort("_id", ASCENDING).to_list()

    async def of_communities(self, community_ids: list[str], scope_filter: dict[str, Any]) -> list[dict[str, Any]]:
        """The grids in scope of these communities, by `_id` (a per-request DataLoader's batch)."""
        query = {"$and": [scope_filter, {"communityId": {"$in": community_ids}}]}
        return await self.coll.find(query).sort("_id", ASCENDING).to_list()

    async def names(self, scope_filter: dict[str, Any]) -> dict[str, str]:
        """id → name of the grids in scope."""
        return {g["_id"]: g["name"] for g in await self.coll.find(scope_filter, {"name": 1}).to_list()}

    async def add_worker(self, grid_id: str, user_id: str) -> None:
        await self.coll.update_one({"_id": grid_id}, {"$addToSet": {"workerIds": user_id}})
