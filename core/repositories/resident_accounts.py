"""Resident accounts in `users` (role `resident`): created on first WeChat login, bound to a
resident record later. Indexes of `users` are declared by `UserRepository`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ReturnDocument

from .base import Repository


class ResidentAccountRepository(Repository):
    collection = "users"
    indexes = []  # see UserRepository

    async def create(self, doc: dict[str, Any]) -> None:
        await self.coll.insert_one(doc)

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
