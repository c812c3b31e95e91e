"""The `files` collection: one document per stored (or about to be stored) object.

Document: `_id`, `communityId`, `regionPath` (ancestors + community, for region admins),
`ownerId`, `purpose`, `state` (`pending` → `stored` → `attached`; `deleting` while its
objects are removed), `contentType`, `size`, `thumbSize`, `sha256`, `name`, `key`,
`thumbKey`, `attachedTo` `{entity, id}`, `unattachedSince` (when the orphan clock started),
`stagingKey`/`stagingExpiresAt` (presigned uploads), `createdAt`, `updatedAt`.

Every query below has an index. Reads by id are scoped by the service, which checks the
document's community and owner against the caller before returning anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING, IndexModel, ReturnDocument

from community_plus.platform.repository import Repository
from community_plus.platform import stamps

PENDING, STORED, ATTACHED, DELETING = "pending", "stored", "attached", "deleting"


class FileRepository(Repository):
    collection = "files"
    indexes = [
        IndexModel([("communityId", ASCENDING), ("_id", ASCENDING)]),  # usage per community
        IndexModel([("state", ASCENDING), ("unattachedSince", ASCENDING)]),  # orphan sweep
        IndexModel([("attachedTo.entity", ASCENDING), ("attachedTo.id", ASCENDING)]),  # release by entity
        IndexModel([("stagingExpiresAt", ASCENDING)], sparse=True),  # staging sweep
    ]

    async def insert(self, doc: dict[str, Any]) -> None:
        await stamps.insert(self.coll, doc)

    async def usage(self, community_id: str) -> int:
        """Bytes a community uses, counting pending uploads (they are reservations)."""
        pipeline = [{"$match": {"communityId": community_id}},
                    {"$group": {"_id": None, "bytes": {"$sum": {"$add": ["$size", {"$ifNull": ["$thumbSize", 0]}]}}}}]
        rows = await (await self.coll.aggregate(pipeline)).to_list()
        return int(rows[0]["bytes"]) if rows else 0

    async def transition(self, id: str, from_states: tuple[str, ...], changes: dict[str, Any],
                         unset: tuple[str, ...] = (), extra: dict[str, Any] | None = None) -> dict[str, Any] | None:
        """Compare-and-set: apply `changes` only while the file is in one of `from_states`."""
        update: dict[str, Any] = {"$set": {**changes, "updatedAt": datetime.now(UTC)}}
        if unset:
            update["$unset"] = {k: "" for k in unset}
        return await self.coll.find_one_and_update({"_id": id, "state": {"$in": list(from_states)}, **(extra or {})},
                                                   update, return_document=ReturnDocument.AFTER)

    async def remove(self, id: str) -> None:
        await self.coll.delete_one({"_id": id})

    async def release(self, entity: str, entity_id: str, scope_filter: dict[str, Any],
                      file_ids: Sequence[str] | None = None) -> int:
        """Detach files from a record; their orphan clock starts now. Returns how many."""
        query: dict[str, Any] = {"attachedTo.entity": entity, "attachedTo.id": entity_id, "state": ATTACHED,
                                 **scope_filter}
        if file_ids is not None:
            query["_id"] = {"$in": list(file_ids)}
        now = datetime.now(UTC)
        result = await self.coll.update_many(query, {"$set": {"state": STORED, "unattachedSince": now, "updatedAt": now},
                                                     "$unset": {"attachedTo": ""}})
        return result.modified_count

    async def orphans(self, cutoff: datetime, limit: int) -> list[dict[str, Any]]:
        """Files never attached (or released) before `cutoff`, and interrupted deletions."""
        query = {"$or": [{"state": DELETING},
                         {"state": {"$in": [PENDING, STORED]}, "unattachedSince": {"$lt": cutoff}}]}
        return await self.coll.find(query).limit(limit).to_list()

    async def expired_staging(self, now: datetime, limit: int) -> list[dict[str, Any]]:
        """Confirmed presigned uploads whose upload URL has expired: the staging object can go."""
        return await self.coll.find({"stagingExpiresAt": {"$lt": now}, "state": {"$ne": PENDING}}).limit(limit).to_list()

    async def clear_staging(self, id: str) -> None:
        await self.coll.update_one({"_id": id}, {"$unset": {"stagingKey": "", "stagingExpiresAt": ""}})
