"""Requests to bind a resident account to a resident record, decided by community staff.

`{_id, userId, status: pending|approved|rejected, pendingFor (= userId while pending),
communityId, regionPath, name, phoneSealed, phoneHash, phoneMasked, candidateResidentIds,
createdAt, updatedAt, decidedAt?, decidedBy?, residentId?, reason?}`. The unique sparse
`pendingFor` index keeps at most one pending request per account.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel, ReturnDocument
from pymongo.errors import DuplicateKeyError

from community_plus.platform.repository import Repository, new_id


class BindingRequestRepository(Repository):
    collection = "binding_requests"
    indexes = [
        IndexModel([("pendingFor", ASCENDING)], unique=True, sparse=True),
        IndexModel([("userId", ASCENDING), ("_id", DESCENDING)]),
        IndexModel([("communityId", ASCENDING), ("status", ASCENDING), ("_id", ASCENDING)]),
        IndexModel([("regionPath", ASCENDING), ("status", ASCENDING), ("_id", ASCENDING)]),
        IndexModel([("status", ASCENDING), ("_id", ASCENDING)]),
    ]

    async def open(self, user_id: str, values: dict[str, Any], now: datetime) -> dict[str, Any]:
        """The account's pending request, created or updated with `values`."""
        for attempt in range(2):
            try:
                return await self.coll.find_one_and_update(
                    {"pendingFor": user_id},
                    {"$set": {**values, "updatedAt": now},
                     "$setOnInsert": {"_id": new_id(), "userId": user_id, "status": "pending", "createdAt": now}},
                    upsert=True, return_document=ReturnDocument.AFTER)
            except DuplicateKeyError:
                if attempt:
                    raise
        raise AssertionError("unreachable")

    async def latest_of(self, user_id: str) -> dict[str, Any] | None:
        return await self.coll.find_one({"userId": user_id}, sort=[("_id", DESCENDING)])

    async def decide(self, request_id: str, scope_filter: dict[str, Any], status: str, now: datetime,
                     decided_by: str, **values: Any) -> dict[str, Any] | None:
        """Move a pending request to `status`; None when it is not pending (or not in scope)."""
        return await self.coll.find_one_and_update(
            {"_id": request_id, "status": "pending", **scope_filter},
            {"$set": {"status": status, "decidedAt": now, "decidedBy": decided_by, "updatedAt": now, **values},
             "$unset": {"pendingFor": ""}},
            return_document=ReturnDocument.AFTER)
