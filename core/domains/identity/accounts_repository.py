"""Resident accounts in `users` (role `resident`): created on first WeChat login, bound to a
resident record later. Indexes of `users` are declared by `UserRepository`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ReturnDocument

from community_plus.platform.repository import Repository
from community_plus.platform import stamps


class ResidentAccountRepository(Repository):
    collection = "users"
    indexes = []  # see UserRepository

    async def create(self, doc: dict[str, Any]) -> None:
        await stamps.insert(self.coll, doc)

    async def delete_unbound(self, user_id: str) -> None:
        """Remove an account that lost a first-login race (never a bound one)."""
        await self.coll.delete_one({"_id": user_id, "role": "resident", "residentId": None})

    async def bind(self, user_id: str, resident: dict[str, Any], now: datetime) -> dict[str, Any] | None:
        """Attach an unbound resident account to `resident`; None when it is bound already."""
        return await self.coll.find_one_and_update(
            {"_id": user_id, "role": "resident", "residentId": None},
            {"$set": {"residentId": resident["_id"], "communityId": resident["communityId"],
                      "displayName": resident.get("name") or "居民", "boundAt": now}},
            return_document=ReturnDocument.AFTER)

    async def join_as_module_staff(self, user_id: str, community_id: str, membership: dict[str, Any], now: datetime,
                                   display_name: str | None = None, session=None) -> dict[str, Any] | None:
        """Attach a WeChat account to a community as a module's staff (care worker, canteen
        staff); None when the account belongs to another community."""
        return await self.coll.find_one_and_update(
            {"_id": user_id, "role": "resident", "communityId": {"$in": [None, community_id]}},
            {"$set": {"communityId": community_id, "joinedAt": now, **({"displayName": display_name} if display_name
                                                                       else {})},
             "$addToSet": {"moduleStaff": membership}},
            return_document=ReturnDocument.AFTER, session=session)
