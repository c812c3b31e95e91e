"""Hotline calls (`hotline_calls`) and return visits (`hotline_return_visits`).

The caller's phone is sealed like residents' phones (AES-GCM + blind index + mask): calls are
found by number through `callerPhoneHash`, never by scanning plaintext."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel

from community_plus.platform import stamps
from community_plus.platform.repository import Repository


class HotlineCallRepository(Repository):
    collection = "hotline_calls"
    indexes = [
        IndexModel([("communityId", ASCENDING), ("_id", DESCENDING)]),
        IndexModel([("regionPath", ASCENDING), ("_id", DESCENDING)]),
        IndexModel([("regionPath", ASCENDING), ("at", ASCENDING)]),
        IndexModel([("callerPhoneHash", ASCENDING), ("_id", DESCENDING)]),
        IndexModel([("operatorId", ASCENDING), ("_id", DESCENDING)]),
        IndexModel([("workOrderId", ASCENDING)]),
        IndexModel([("communityId", ASCENDING), ("workOrderId", ASCENDING)]),
        stamps.INDEX,
    ]

    async def insert(self, doc: dict[str, Any], session=None) -> dict[str, Any]:
        return await stamps.insert_once(self.coll, doc, session)

    async def of_order(self, order: dict[str, Any]) -> dict[str, Any] | None:
        """The call that filed `order` (targeted at its community: see platform/sharding.py)."""
        return await self.coll.find_one({"communityId": order["communityId"], "workOrderId": order["_id"]})

    async def totals(self, region_id: str, since: datetime, until: datetime) -> dict[str, int]:
        """Calls in `region_id`'s subtree in [since, until): all, those that filed an order, and
        those from callers who are no registered resident."""
        rows = await (await self.coll.aggregate([{"$match": _in_window(region_id, since, until)}, {"$group": {
            "_id": None, "calls": {"$sum": 1}, "orders": {"$sum": {"$cond": [{"$eq": ["$kind", "order"]}, 1, 0]}},
            "unregistered": {"$sum": {"$cond": ["$registered", 0, 1]}}}}])).to_list()
        return rows[0] if rows else {"calls": 0, "orders": 0, "unregistered": 0}


def _in_window(region_id: str, since: datetime, until: datetime) -> dict[str, Any]:
    return {"regionPath": region_id, "at": {"$gte": since, "$lt": until}}


class ReturnVisitRepository(Repository):
    collection = "hotline_return_visits"
    indexes = [
        # an order lives in one community: unique per community is unique (and shardable)
        IndexModel([("communityId", ASCENDING), ("workOrderId", ASCENDING)], unique=True,
                   name="one_visit_per_order_of_community"),
        IndexModel([("communityId", ASCENDING), ("_id", DESCENDING)]),
        IndexModel([("regionPath", ASCENDING), ("_id", DESCENDING)]),
        IndexModel([("regionPath", ASCENDING), ("at", ASCENDING)]),
        stamps.INDEX,
    ]

    async def insert(self, doc: dict[str, Any], session=None) -> dict[str, Any]:
        return await stamps.insert_once(self.coll, doc, session)

    async def of_order(self, order: dict[str, Any]) -> dict[str, Any] | None:
        """The return visit of `order` (targeted at its community: see platform/sharding.py)."""
        return await self.coll.find_one({"communityId": order["communityId"], "workOrderId": order["_id"]})

    async def count_by_satisfaction(self, region_id: str, since: datetime, until: datetime) -> dict[str, int]:
        """Return visits in `region_id`'s subtree in [since, until), counted per satisfaction."""
        rows = await (await self.coll.aggregate([{"$match": _in_window(region_id, since, until)},
                                                 {"$group": {"_id": "$satisfaction", "count": {"$sum": 1}}}])).to_list()
        return {r["_id"]: r["count"] for r in rows}


class ResidentAccountsRepository(Repository):
    """The mini-program accounts bound to a resident (to notify them of an order filed for them)."""

    collection = "users"
    indexes = [IndexModel([("residentId", ASCENDING)], sparse=True, name="residentId_accounts")]

    async def of_resident(self, resident_id: str) -> list[str]:
        docs = await self.coll.find({"residentId": resident_id, "role": "resident"}, {"_id": 1}).to_list()
        return [d["_id"] for d in docs]
