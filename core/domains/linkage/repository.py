"""Departments (`departments`) and escalation hops (`linkage_hops`); the work-order indexes
the linkage queries need are declared here too (`ORDER_INDEXES`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel, ReturnDocument

from community_plus.platform import stamps
from community_plus.platform.repository import Repository, new_id

ORDER_INDEXES = [
    IndexModel([("linkageDepartments", ASCENDING), ("_id", DESCENDING)]),
    IndexModel([("linkage.holderId", ASCENDING), ("_id", DESCENDING)]),
]


class DepartmentRepository(Repository):
    collection = "departments"
    indexes = [
        IndexModel([("regionPath", ASCENDING), ("_id", ASCENDING)]),
        IndexModel([("regionId", ASCENDING), ("name", ASCENDING)], unique=True, name="one_name_per_region"),
        stamps.INDEX,
    ]

    async def insert(self, doc: dict[str, Any]) -> dict[str, Any]:
        return await stamps.insert_once(self.coll, doc)

    async def ensure(self, region: dict[str, Any], name: str, description: str) -> dict[str, Any]:
        """The department of that name under the region, created when missing (demo seed)."""
        return await self.coll.find_one_and_update(
            {"regionId": region["_id"], "name": name},
            {"$setOnInsert": {"_id": new_id(), "regionPath": [*region.get("path", []), region["_id"]],
                              "regionLevel": region["level"], "description": description,
                              "createdAt": datetime.now(UTC)}},
            upsert=True, return_document=ReturnDocument.AFTER)


class HopRepository(Repository):
    collection = "linkage_hops"
    indexes = [
        IndexModel([("orderId", ASCENDING), ("_id", ASCENDING)]),
        IndexModel([("communityId", ASCENDING), ("orderId", ASCENDING), ("_id", ASCENDING)]),
        IndexModel([("holderId", ASCENDING), ("state", ASCENDING), ("_id", DESCENDING)]),
        IndexModel([("state", ASCENDING), ("alertedAt", ASCENDING), ("dueAt", ASCENDING)]),
        IndexModel([("regionPath", ASCENDING), ("at", ASCENDING)]),
        stamps.INDEX,
    ]

    async def insert(self, doc: dict[str, Any], session=None) -> dict[str, Any]:
        return await stamps.insert_once(self.coll, doc, session)

    async def close(self, id: str, outcome: str, at: datetime, session=None) -> dict[str, Any] | None:
        """Close an open hop (compare-and-set on `state`)."""
        return await self.coll.find_one_and_update(
            {"_id": id, "state": "open"}, {"$set": {"state": "closed", "outcome": outcome, "closedAt": at}},
            return_document=ReturnDocument.AFTER, session=session)

    async def overdue(self, now: datetime, limit: int = 200) -> list[dict[str, Any]]:
        """Deliberately global (a background job): open hops past due, not yet alerted."""
        return await self.coll.find({"state": "open", "alertedAt": None, "dueAt": {"$lt": now}}).limit(limit).to_list()

    async def mark_alerted(self, id: str, at: datetime, session=None) -> bool:
        res = await self.coll.update_one({"_id": id, "state": "open", "alertedAt": None},
                                         {"$set": {"alertedAt": at}}, session=session)
        return res.modified_count == 1

    async def figures(self, region_id: str, since: datetime, until: datetime, now: datetime) -> dict[str, Any]:
        """Hops in `region_id`'s subtree in [since, until), per holder level and per department:
        received, resolved, passed on, handed back, open, overdue (late or alerted at `now`)."""
        late = {"$or": [{"$ne": ["$alertedAt", None]}, {"$gt": [{"$ifNull": ["$closedAt", now]}, "$dueAt"]}]}
        figures = {"received": {"$sum": 1},
                   "resolved": {"$sum": {"$cond": [{"$eq": ["$outcome", "resolved"]}, 1, 0]}},
                   "passedOn": {"$sum": {"$cond": [{"$in": ["$outcome", ["escalated", "dispatched"]]}, 1, 0]}},
                   "handedBack": {"$sum": {"$cond": [{"$eq": ["$outcome", "handed_back"]}, 1, 0]}},
                   "open": {"$sum": {"$cond": [{"$eq": ["$state", "open"]}, 1, 0]}},
                   "overdue": {"$sum": {"$cond": [late, 1, 0]}}, "title": {"$first": "$holderName"}}
        pipeline = [
            {"$match": {"regionPath": region_id, "at": {"$gte": since, "$lt": until}}},
            {"$facet": {"byLevel": [{"$group": {"_id": "$holderLevel", **figures}}, {"$sort": {"_id": 1}}],
                        "byDepartment": [{"$match": {"holderType": "department"}},
                                         {"$group": {"_id": "$holderId", **figures}}, {"$sort": {"_id": 1}}]}}]
        rows = await (await self.coll.aggregate(pipeline)).to_list()
        return rows[0] if rows else {"byLevel": [], "byDepartment": []}


class LinkageOrderRepository(Repository):
    """The linkage part of work orders: moves between holders, compare-and-set on the hop."""

    collection = "work_orders"
    indexes = ORDER_INDEXES

    async def move(self, id: str, current_hop: str | None, version: int | None, linkage: dict[str, Any],
                   event: dict[str, Any], department_id: str | None = None, changes: dict[str, Any] | None = None,
                   from_states: list[str] | None = None, session=None) -> dict[str, Any] | None:
        """Give the order to a new holder only if its current hop is still `current_hop` (and
        it is open, and at `version` when given): of concurrent moves exactly one wins."""
        query: dict[str, Any] = {"_id": id, "linkage.hopId": current_hop, "state": {"$in": from_states or []}}
        if version is not None:
            query["version"] = version
        update: dict[str, Any] = {"$set": {"linkage": linkage, "updatedAt": event["at"], **(changes or {})},
                                  "$inc": {"version": 1}, "$push": {"timeline": event}}
        if department_id:
            update["$addToSet"] = {"linkageDepartments": department_id}
        return await self.coll.find_one_and_update(query, update, return_document=ReturnDocument.AFTER,
                                                   session=session)


class LinkageStaffRepository(Repository):
    """Who works for a holder (a community, a region, a department): the recipients of its alerts."""

    collection = "users"
    indexes = [IndexModel([("departmentId", ASCENDING)], sparse=True)]
    ROLE_OF = {"community": ("community_admin", "communityId"), "region": ("region_admin", "regionId"),
               "department": ("department_staff", "departmentId")}

    async def of_holders(self, holders: list[tuple[str, str]], session=None) -> list[dict[str, Any]]:
        clauses = [{"role": self.ROLE_OF[t][0], self.ROLE_OF[t][1]: i} for t, i in holders]
        if not clauses:
            return []
        return await self.coll.find({"$or": clauses}, {"_id": 1, "role": 1, "regionId": 1, "communityId": 1,
                                                       "departmentId": 1}, session=session).to_list()
