"""The shared WeChat access token: one document per appid in `wechat_tokens`.

`{_id: appid, token, expiresAt, leaseOwner, leaseUntil, staleToken}`. The lease is a
compare-and-set on `leaseUntil`, so exactly one worker refreshes the token at a time.
Deliberately global (not community data).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from community_plus.platform.repository import Repository


class WeChatTokenRepository(Repository):
    collection = "wechat_tokens"
    indexes = []  # looked up by _id only

    async def read(self, appid: str) -> dict[str, Any] | None:
        return await self.coll.find_one({"_id": appid})

    async def try_lease(self, appid: str, owner: str, now: datetime, until: datetime) -> dict[str, Any] | None:
        """Take the refresh lease if it is free or lapsed; the document after, or None when held."""
        try:
            return await self.coll.find_one_and_update(
                {"_id": appid, "$or": [{"leaseUntil": None}, {"leaseUntil": {"$lte": now}}]},
                {"$set": {"leaseOwner": owner, "leaseUntil": until}},
                upsert=True, return_document=ReturnDocument.AFTER)
        except DuplicateKeyError:  # the document exists and another worker holds the lease
            return None

    async def store(self, appid: str, owner: str, token: str, expires_at: datetime, fetched_at: datetime) -> None:
        """Save a fetched token and release our lease (the token is saved even if the lease lapsed)."""
        values = {"token": token, "expiresAt": expires_at, "fetchedAt": fetched_at}
        done = await self.coll.update_one(
            {"_id": appid, "leaseOwner": owner},
            {"$set": values, "$unset": {"leaseOwner": "", "leaseUntil": "", "staleToken": ""}})
        if done.matched_count == 0:
            await self.coll.update_one({"_id": appid}, {"$set": values, "$unset": {"staleToken": ""}})

    async def release(self, appid: str, owner: str) -> None:
        await self.coll.update_one({"_id": appid, "leaseOwner": owner},
                                   {"$unset": {"leaseOwner": "", "leaseUntil": ""}})

    async def invalidate(self, appid: str, token: str, now: datetime) -> None:
        """WeChat refused `token`: mark it stale (only if it is still the stored one)."""
        await self.coll.update_one({"_id": appid, "token": token},
                                   {"$set": {"expiresAt": now, "staleToken": token}})
