"""Fixed-window counters shared by all workers: `{_id: "<name>:<subject>:<window>", n, expiresAt}`.

A TTL index removes each counter once its window has passed. Deliberately global.
"""

from __future__ import annotations

from datetime import datetime

from pymongo import ASCENDING, IndexModel, ReturnDocument
from pymongo.errors import DuplicateKeyError

from .base import Repository


class RateLimitRepository(Repository):
    collection = "rate_limits"
    indexes = [IndexModel([("expiresAt", ASCENDING)], expireAfterSeconds=0)]

    async def increment(self, key: str, expires_at: datetime, by: int = 1) -> int:
        """Add `by` to the counter `key` (created on first use); the count after."""
        for _ in range(3):  # concurrent first hits may race on the upsert
            try:
                doc = await self.coll.find_one_and_update(
                    {"_id": key}, {"$inc": {"n": by}, "$setOnInsert": {"expiresAt": expires_at}},
                    upsert=True, return_document=ReturnDocument.AFTER)
                return int(doc["n"])
            except DuplicateKeyError:
                continue
        raise RuntimeError(f"rate-limit counter {key!r} kept colliding")
