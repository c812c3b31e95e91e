"""Visits and visit plans.

`visits`: `{_id, communityId, regionPath, gridId, residentId, workerId, workerName, purpose,
notes, photos, location (GeoJSON Point) | None, locationCheck, visitedAt, followUp,
workOrderId, createdAt}`.
`visit_plans`: `{_id: "<community>:<tag>", communityId, regionPath, tag, intervalDays,
updatedAt, updatedBy}` — one plan per community and resident tag.
"""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel, ReturnDocument

from community_plus.platform import stamps
from community_plus.platform.repository import Page, Repository, scoped


class VisitRepository(Repository):
    collection = "visits"
    indexes = [
        IndexModel([("communityId", ASCENDING), ("_id", DESCENDING)]),
        IndexModel([("regionPath", ASCENDING), ("_id", DESCENDING)]),
        IndexModel([("communityId", ASCENDING), ("gridId", ASCENDING), ("_id", DESCENDING)]),
        IndexModel([("residentId", ASCENDING), ("_id", DESCENDING)]),
        IndexModel([("residentId", ASCENDING), ("visitedAt", DESCENDING)]),
        stamps.INDEX,
    ]

    async def insert(self, doc: dict[str, Any]) -> dict[str, Any]:
        return await stamps.insert_once(self.coll, doc)

    async def set_work_order(self, id: str, work_order_id: str) -> dict[str, Any] | None:
        return await self.coll.find_one_and_update({"_id": id}, {"$set": {"workOrderId": work_order_id}},
                                                   return_document=ReturnDocument.AFTER)

    async def delete(self, id: str) -> None:
        await self.coll.delete_one({"_id": id})

    async def page_of(self, query: dict[str, Any], scope_filter: dict[str, Any], first: int,
                      after: str | None) -> Page:
        return await self.page(scoped(query, scope_filter), first, after, newest_first=True)

    async def last_visits(self, resident_ids: list[str]) -> dict[str, Any]:
        """Each resident's latest `visitedAt` (one aggregation on the residentId index)."""
        if not resident_ids:
            return {}
        rows = await (await self.coll.aggregate([
            {"$match": {"residentId": {"$in": resident_ids}}},
            {"$group": {"_id": "$residentId", "last": {"$max": "$visitedAt"}}},
        ])).to_list()
        return {r["_id"]: r["last"] for r in rows}

    async def latest_of(self, resident_ids: list[str], scope_filter: dict[str, Any], per_resident: int
                        ) -> dict[str, list[dict[str, Any]]]:
        """The latest visits of each resident (one aggregation)."""
        if not resident_ids:
            return {}
        rows = await (await self.coll.aggregate([
            {"$match": scoped({"residentId": {"$in": resident_ids}}, scope_filter)},
            {"$sort": {"_id": -1}},
            {"$group": {"_id": "$residentId", "visits": {"$push": "$$ROOT"}}},
            {"$project": {"visits": {"$slice": ["$visits", per_resident]}}},
        ])).to_list()
        return {r["_id"]: r["visits"] for r in rows}


class VisitPlanRepository(Repository):
    collection = "visit_plans"
    indexes = [IndexModel([("communityId", ASCENDING), ("tag", ASCENDING)], unique=True),
               IndexModel([("regionPath", ASCENDING), ("_id", ASCENDING)])]

    async def put(self, doc: dict[str, Any]) -> dict[str, Any]:
        return await self.coll.find_one_and_update({"_id": doc["_id"]}, {"$set": doc}, upsert=True,
                                                   return_document=ReturnDocument.AFTER)

    async def remove(self, id: str, scope_filter: dict[str, Any]) -> bool:
        return (await self.coll.delete_one(scoped({"_id": id}, scope_filter))).deleted_count == 1

    async def of_communities(self, community_ids: list[str]) -> list[dict[str, Any]]:
        return await self.coll.find({"communityId": {"$in": community_ids}}).sort("tag", ASCENDING).to_list()
