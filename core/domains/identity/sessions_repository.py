"""Refresh-token sessions. Tokens are stored hashed, rotate on every use, and reuse of an
old token revokes the whole session family (a stolen token is then useless)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ASCENDING, IndexModel, ReturnDocument

from community_plus.platform.repository import Repository
from community_plus.platform import stamps


class SessionRepository(Repository):
    collection = "sessions"
    indexes = [
        IndexModel([("tokenHash", ASCENDING)], unique=True),
        IndexModel([("previousHashes", ASCENDING)]),
        IndexModel([("userId", ASCENDING)]),
        IndexModel([("expiresAt", ASCENDING)], expireAfterSeconds=0),
    ]

    async def create(self, doc: dict[str, Any]) -> None:
        await stamps.insert(self.coll, doc)

    async def rotate(self, old_hash: str, new_hash: str, expires_at: datetime) -> dict[str, Any] | None:
        """Swap the current token hash atomically; None when `old_hash` is not current."""
        return await self.coll.find_one_and_update(
            {"tokenHash": old_hash, "revoked": False},
            {"$set": {"tokenHash": new_hash, "expiresAt": expires_at},
             "$push": {"previousHashes": {"$each": [old_hash], "$slice": -50}}},
            return_document=ReturnDocument.AFTER,
        )

    async def by_previous(self, token_hash: str) -> dict[str, Any] | None:
        return await self.coll.find_one({"previousHashes": token_hash})

    async def revoke(self, session_id: str) -> None:
        await self.coll.update_one({"_id": session_id}, {"$set": {"revoked": True}})

    async def is_active(self, session_id: str) -> bool:
        return await self.coll.count_documents({"_id": session_id, "revoked": False}, limit=1) > 0
