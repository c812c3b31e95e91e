"""Fixed-window counters shared by all workers: `{_id: "<name>:<subject>:<window>", n, expiresAt}`.

A TTL index removes each counter once its window has passed. Deliberately global.
"""

from __future__ import annotations

from datetime import datetime

from pymongo import ASCENDING, IndexModel, ReturnDocument
from pymongo.errors import DuplicateKeyError

from community_plus.platform.repository import Repository


class RateLimitRepository(Repository):
    collection = "rate_limits"
    indexes = [IndexModel([("expiresAt", ASCENDING)], expireAfterSeconds=0)]

    async def increment(self, key: str, expires_at: datetime, by: int = 1) -> int:
        """Add `by` to the counter `key` (created on first use); the count after.

        An upsert answered without a document (seen with SecantusDB when first hits race,
        e.g. right after a restart: the increment is applied, the reply is empty) is read back;
        a counter that still cannot be read counts as `by`.
        """
        for _ in range(3):  # concurrent first hits may race on the upsert
            try:
                doc = await self.coll.find_one_and_update(
                    {"_id": key}, {"$inc": {"n": by}, "$setOnInsert": {"expiresAt": expires_at}},
                    upsert=True, return_document=ReturnDocument.AFTER)
            except DuplicateKeyError:
                continue
            if doc is None:
                doc = await self.coll.find_one({"_id": key}, {"n": 1})
            return _count(doc, by)
        doc = await self.coll.find_one_and_update({"_id": key}, {"$inc": {"n": by}},
                                                  return_document=ReturnDocument.AFTER)
        return _count(doc, by)


def _count(doc: dict | None, default: int) -> int:
    n = (doc or {}).get("n")
    return int(n) if isinstance(n, int | float) else default
