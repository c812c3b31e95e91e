"""Sockets per user across every worker: the `ws_presence` collection.

Each open socket is a row `{_id, userId, worker, expiresAt}`; a worker refreshes its rows'
expiry while they are open and deletes them when they close, so the rows of a worker that
died expire by themselves (TTL index). A new socket is inserted first and then counted: of
concurrent connections that would exceed the limit, none slips through (at worst both
are refused and retry).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.database import AsyncDatabase

from community_plus.platform import stamps
from community_plus.platform.repository import Repository


class Presence(Repository):
    collection = "ws_presence"
    indexes = [IndexModel([("userId", ASCENDING), ("expiresAt", ASCENDING)], name="user_expires"),
               IndexModel([("expiresAt", ASCENDING)], expireAfterSeconds=0, name="ttl"),
               IndexModel([("worker", ASCENDING)], name="worker")]

    def __init__(self, db: AsyncDatabase, worker: str, lease_seconds: float) -> None:
        super().__init__(db)
        self.worker = worker
        self.lease = timedelta(seconds=lease_seconds)

    async def claim(self, socket_id: str, user_id: str, limit: int) -> bool:
        """Record a socket; False (and nothing recorded) when the user already has `limit`."""
        now = datetime.now(UTC)
        await stamps.insert(self.coll, {"_id": socket_id, "userId": user_id, "worker": self.worker,
                                        "expiresAt": now + self.lease, "openedAt": now})
        open_now = await self.coll.count_documents({"userId": user_id, "expiresAt": {"$gt": now}})
        if open_now > limit:
            await self.release(socket_id)
            return False
        return True

    async def release(self, socket_id: str) -> None:
        await self.coll.delete_one({"_id": socket_id})

    async def refresh(self, socket_ids: list[str]) -> None:
        """Extend the rows of the sockets still open (called every revalidation interval)."""
        if socket_ids:
            await self.coll.update_many({"_id": {"$in": socket_ids}},
                                        {"$set": {"expiresAt": datetime.now(UTC) + self.lease}})

    async def release_worker(self) -> None:
        await self.coll.delete_many({"worker": self.worker})
