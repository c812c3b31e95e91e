"""Idempotency claims: one document per (caller, key), kept 24 hours (TTL index)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import ASCENDING, IndexModel
from pymongo.errors import DuplicateKeyError

from community_plus_sdk.idempotency import RETENTION_HOURS

from community_plus.platform.repository import Repository
from community_plus.platform import stamps


class IdempotencyRepository(Repository):
    collection = "idempotency"
    indexes = [IndexModel([("expiresAt", ASCENDING)], expireAfterSeconds=0)]

    async def claim(self, claim_id: str, fingerprint: str, lease_seconds: float) -> dict[str, Any] | None:
        """Claim the key for this attempt: None when claimed now; else the existing claim
        (a finished one to replay, or one still running). An expired lease is taken over."""
        now = datetime.now(UTC)
        doc = {"_id": claim_id, "fingerprint": fingerprint, "state": "running",
               "leaseUntil": now + timedelta(seconds=lease_seconds), "createdAt": now,
               "expiresAt": now + timedelta(hours=RETENTION_HOURS)}
        try:
            await stamps.insert(self.coll, doc)
            return None
        except DuplicateKeyError:
            pass
        taken = await self.coll.find_one_and_update(
            {"_id": claim_id, "state": "running", "fingerprint": fingerprint, "leaseUntil": {"$lt": now}},
            {"$set": {"leaseUntil": doc["leaseUntil"]}})
        if taken is not None:
            return None  # the earlier attempt died without an answer: this one goes ahead
        return await self.coll.find_one({"_id": claim_id}) or {"state": "running", "fingerprint": fingerprint}

    async def finish(self, claim_id: str, response: dict[str, Any]) -> None:
        await self.coll.update_one({"_id": claim_id}, {"$set": {"state": "done", "response": response}})

    async def release(self, claim_id: str) -> None:
        await self.coll.delete_one({"_id": claim_id, "state": "running"})
