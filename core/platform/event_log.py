"""The durable event log: the `events` collection.

Events are appended in the transaction of the write that caused them where there is one
(so an event exists exactly when its change committed), or right after a single-document
write otherwise. Ids are ObjectIds assigned at append time, increasing within a process.
A TTL index keeps the log to `CP_REALTIME_RETENTION_HOURS`; the `_id` index serves the
polling feed and replays.

It sits on the ground floor because every writer appends to it (domains, modules, the CLI):
each writer shapes its own documents with `event_doc` (work orders in
`domains/work_orders/events.py`, notifications in the outbox, modules' in `realtime/events.py`)
and realtime reads the log to deliver them. An event document::

    {_id: ObjectId, topic: "work_order" | "notification" | "module_state" | "<module>:<topic>",
     communityId, regionPath: [...region ids, community id], users: [...], residents: [...],
     module: None | "<module>", payload: {...}, createdAt}
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bson import ObjectId, Timestamp
from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.change_stream import AsyncChangeStream
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase

from community_plus.platform import stamps
from community_plus.platform.repository import Repository

COLLECTION = "events"
WORK_ORDER = "work_order"
NOTIFICATION = "notification"
MODULE_STATE = "module_state"
_INSERTS = {"operationType": "insert"}


class EventLog(Repository):
    """The repository of the log: appends, the reads of the polling feed and of replays, and
    the change streams of the change-stream feed (inserts only)."""

    collection = COLLECTION

    def __init__(self, db: AsyncDatabase, retention_hours: float = 24.0) -> None:
        super().__init__(db)
        self.retention_hours = retention_hours
        self.indexes = [
            IndexModel([("createdAt", ASCENDING)], expireAfterSeconds=int(retention_hours * 3600), name="ttl"),
            IndexModel([("topic", ASCENDING), ("_id", ASCENDING)], name="topic_id"),
        ]

    async def append(self, docs: list[dict[str, Any]], session: AsyncClientSession | None = None) -> list[ObjectId]:
        """Append events (ids assigned here, in order); part of `session`'s transaction if given."""
        if not docs:
            return []
        for doc in docs:
            doc["_id"] = ObjectId()
        if len(docs) == 1:
            await stamps.insert(self.coll, docs[0], session=session)
        else:
            await stamps.insert_all(self.coll, docs, ordered=True, session=session)
        return [d["_id"] for d in docs]

    async def newest_id(self) -> ObjectId | None:
        doc = await self.coll.find_one({}, {"_id": 1}, sort=[("_id", -1)])
        return doc["_id"] if doc else None

    async def ids_after(self, low: ObjectId, limit: int) -> list[ObjectId]:
        cursor = self.coll.find({"_id": {"$gt": low}}, {"_id": 1}).sort("_id", ASCENDING).limit(limit)
        return [d["_id"] async for d in cursor]

    async def by_ids(self, ids: list[ObjectId]) -> list[dict[str, Any]]:
        docs = await self.coll.find({"_id": {"$in": ids}}).to_list()
        return sorted(docs, key=lambda d: d["_id"])

    async def after(self, low: ObjectId, topics: list[str], limit: int) -> list[dict[str, Any]]:
        """Events of `topics` after `low` in id order (replays in polling mode)."""
        cursor = self.coll.find({"topic": {"$in": topics}, "_id": {"$gt": low}}).sort("_id", ASCENDING).limit(limit)
        return await cursor.to_list()

    async def inserts(self, max_await_ms: int, resume_after: Any = None) -> AsyncChangeStream:
        """A change stream of every event appended from now (or after the resume token)."""
        options = {"start_after": resume_after} if resume_after is not None else {}
        return await self.coll.watch([{"$match": _INSERTS}], max_await_time_ms=max_await_ms, **options)

    async def inserts_since(self, start: Timestamp, topics: list[str], marker: ObjectId,
                            max_await_ms: int) -> AsyncChangeStream:
        """A change stream of the events of `topics` (and the `marker` event) appended since the
        operation time `start` (a replay; OperationFailure when the oplog no longer has it)."""
        match = {**_INSERTS, "$or": [{"fullDocument.topic": {"$in": topics}}, {"fullDocument._id": marker}]}
        return await self.coll.watch([{"$match": match}], start_at_operation_time=start, max_await_time_ms=max_await_ms)


def event_doc(topic: str, payload: dict[str, Any], *, community_id: str | None, region_path: list[str],
              users: list[str] = (), residents: list[str] = (), module: str | None = None) -> dict[str, Any]:
    """An event document as the log stores it (its `_id` is given at append)."""
    return {"topic": topic, "communityId": community_id, "regionPath": list(region_path), "users": list(users),
            "residents": list(residents), "module": module, "payload": payload, "createdAt": datetime.now(UTC)}


async def record(platform: Any, docs: list[dict[str, Any]], session: AsyncClientSession | None = None) -> None:
    """Append events for a write (inside its transaction when `session` is given). Works in
    every process that writes (server, CLI, scripts): subscribers of any worker see them."""
    events = platform.event_log
    if events is None:
        events = platform.event_log = EventLog(platform.db, platform.settings.realtime_retention_hours)
    await events.append(docs, session=session)
