"""`staff_invitations`: `{_id, codeHash (keyed blind index of the code), communityId,
regionPath, module, role, name, state (pending|redeemed|revoked), expiresAt, createdBy,
createdAt, redeemedBy, redeemedByName, redeemedAt}`. The code itself is never stored."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel, ReturnDocument

from community_plus.platform import stamps
from community_plus.platform.repository import Page, Repository, scoped


class StaffInvitationRepository(Repository):
    collection = "staff_invitations"
    indexes = [
        IndexModel([("codeHash", ASCENDING)], unique=True),
        IndexModel([("communityId", ASCENDING), ("_id", DESCENDING)]),
        IndexModel([("regionPath", ASCENDING), ("_id", DESCENDING)]),
        stamps.INDEX,
    ]

    async def insert(self, doc: dict[str, Any]) -> dict[str, Any]:
        return await stamps.insert_once(self.coll, doc)

    async def take(self, code_hashes: list[str], now: datetime, changes: dict[str, Any], session=None
                   ) -> dict[str, Any] | None:
        """Redeem a pending, unexpired invitation (compare-and-set: one winner)."""
        return await self.coll.find_one_and_update(
            {"codeHash": {"$in": code_hashes}, "state": "pending", "expiresAt": {"$gt": now}},
            {"$set": {"state": "redeemed", **changes}}, return_document=ReturnDocument.AFTER, session=session)

    async def pending(self, code_hashes: list[str], now: datetime) -> dict[str, Any] | None:
        return await self.coll.find_one({"codeHash": {"$in": code_hashes}, "state": "pending",
                                         "expiresAt": {"$gt": now}})

    async def revoke(self, id: str, scope_filter: dict[str, Any]) -> dict[str, Any] | None:
        return await self.coll.find_one_and_update(scoped({"_id": id, "state": "pending"}, scope_filter),
                                                   {"$set": {"state": "revoked"}}, return_document=ReturnDocument.AFTER)

    async def page_in(self, scope_filter: dict[str, Any], first: int, after: str | None) -> Page:
        return await self.page(scoped({}, scope_filter), first, after, newest_first=True,
                               projection={"codeHash": 0})
