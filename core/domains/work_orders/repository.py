"""Work orders (工单) with their timeline; state changes are compare-and-set on state+version."""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel, ReturnDocument, UpdateOne

from community_plus.platform.repository import Repository, in_batches, scoped
from community_plus.platform import stamps


def parties(order: dict[str, Any]) -> list[str]:
    """Who an order belongs to: its submitter and the resident it is for (a guardian files for a
    ward, an operator for a caller). Stored as `parties` so that a resident's orders are one
    multikey index range (`{parties: {$in: [user, resident]}}`), which every planner serves; an
    `$or` of the two fields SecantusDB answers by a collection scan."""
    return list(dict.fromkeys(p for p in (order.get("submittedBy"), order.get("residentId")) if p))


class WorkOrderRepository(Repository):
    collection = "work_orders"
    indexes = [
        IndexModel([("communityId", ASCENDING), ("_id", DESCENDING)]),
        IndexModel([("communityId", ASCENDING), ("state", ASCENDING), ("_id", DESCENDING)]),
        IndexModel([("communityId", ASCENDING), ("itemId", ASCENDING), ("_id", DESCENDING)]),
        # a grid worker's orders: of their grids, or assigned to them (WorkOrderService.visible_filter)
        IndexModel([("communityId", ASCENDING), ("gridId", ASCENDING), ("_id", DESCENDING)]),
        IndexModel([("communityId", ASCENDING), ("assigneeId", ASCENDING), ("_id", DESCENDING)]),
        IndexModel([("regionPath", ASCENDING), ("createdAt", ASCENDING)]),
        IndexModel([("communityId", ASCENDING), ("createdAt", ASCENDING)]),
        IndexModel([("gridId", ASCENDING), ("createdAt", ASCENDING)]),
        IndexModel([("regionPath", ASCENDING), ("_id", DESCENDING)]),
        IndexModel([("gridId", ASCENDING), ("state", ASCENDING), ("_id", DESCENDING)]),
        IndexModel([("assigneeId", ASCENDING), ("state", ASCENDING), ("dueAt", ASCENDING)]),
        IndexModel([("parties", ASCENDING), ("_id", DESCENDING)]),  # a resident's own orders (search.visible_filter)
        IndexModel([("residentId", ASCENDING), ("_id", DESCENDING)]),
        IndexModel([("state", ASCENDING), ("dueAt", ASCENDING)]),
        IndexModel([("state", ASCENDING), ("resolvedAt", ASCENDING)]),
        # a retried submission files into the same community (its resident's): unique per
        # community is unique, and shardable; the lookup by submitter and key has its own index
        IndexModel([("communityId", ASCENDING), ("submittedBy", ASCENDING), ("idempotencyKey", ASCENDING)],
                   unique=True, partialFilterExpression={"idempotencyKey": {"$type": "string"}},
                   name="idempotency_of_community"),
        IndexModel([("submittedBy", ASCENDING), ("idempotencyKey", ASCENDING)],
                   partialFilterExpression={"idempotencyKey": {"$type": "string"}}, name="idempotency_lookup"),
    ]

    async def insert(self, doc: dict[str, Any], session=None) -> None:
        doc["parties"] = parties(doc)
        await stamps.insert(self.coll, doc, session=session)

    async def backfill_parties(self, batch: int = 1000) -> int:
        """Give orders stored before `parties` existed their parties; how many were updated."""
        done = 0
        async for rows in in_batches(self.coll.find({"parties": {"$exists": False}},
                                                    {"submittedBy": 1, "residentId": 1}), batch):
            result = await self.coll.bulk_write([UpdateOne({"_id": r["_id"], "parties": {"$exists": False}},
                                                           {"$set": {"parties": parties(r)}}) for r in rows],
                                                ordered=False)
            done += result.modified_count
        return done

    async def by_idempotency_key(self, user_id: str, key: str) -> dict[str, Any] | None:
        return await self.coll.find_one({"submittedBy": user_id, "idempotencyKey": key})

    async def transition(self, id: str, from_states: list[str], version: int | None, changes: dict[str, Any],
                         event: dict[str, Any], session=None) -> dict[str, Any] | None:
        """Move an order to a new state only if it is still in one of `from_states` (and at
        `version` when given): of concurrent attempts exactly one wins."""
        query: dict[str, Any] = {"_id": id, "state": {"$in": from_states}}
        if version is not None:
            query["version"] = version
        return await self.coll.find_one_and_update(
            query, {"$set": changes, "$inc": {"version": 1}, "$push": {"timeline": event}},
            return_document=ReturnDocument.AFTER, session=session)

    async def add_note(self, id: str, scope_filter: dict[str, Any], event: dict[str, Any],
                       session=None) -> dict[str, Any] | None:
        return await self.coll.find_one_and_update(
            scoped({"_id": id}, scope_filter), {"$push": {"timeline": event}, "$inc": {"version": 1}},
            return_document=ReturnDocument.AFTER, session=session)

    async def stale_resolved(self, before, limit: int = 500) -> list[dict[str, Any]]:
        return await self.coll.find({"state": "resolved", "resolvedAt": {"$lt": before}}).limit(limit).to_list()

    async def aggregate(self, pipeline: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return await (await self.coll.aggregate(pipeline, allowDiskUse=True)).to_list()
