"""The outbox: messages to the outside world (WeChat notifications) written in the same
transaction as the change that caused them, then delivered by a background worker."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, IndexModel, ReturnDocument

from community_plus_sdk.module import page_path

from community_plus.platform import stamps
from community_plus.platform.event_log import NOTIFICATION, EventLog, event_doc
from community_plus.platform.repository import Page, Repository


# Unread: `read` is only ever set to True. As an `$in` (not `$ne: True`) it is a range on the
# recipientUserId/read index for every planner, SecantusDB's included.
UNREAD = {"$in": [False, None]}


def notification_events(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One event per outbox message: its recipient's `notificationReceived`."""
    return [event_doc(NOTIFICATION, {"message": m}, community_id=None, region_path=[], users=[m["recipientUserId"]])
            for m in messages if m.get("recipientUserId")]


class OutboxRepository(Repository):
    collection = "outbox"
    indexes = [
        IndexModel([("state", ASCENDING), ("nextAttemptAt", ASCENDING)]),
        IndexModel([("aggregateId", ASCENDING)]),
        IndexModel([("recipientUserId", ASCENDING), ("_id", DESCENDING)]),
        IndexModel([("recipientUserId", ASCENDING), ("read", ASCENDING)]),
    ]

    async def of_recipient(self, user_id: str, unread_only: bool, first: int, after: str | None) -> Page:
        """A page of `user_id`'s messages (only the unread ones when asked), newest first."""
        query: dict[str, Any] = {"recipientUserId": user_id}
        if unread_only:
            query["read"] = UNREAD
        return await self.page(query, first, after, newest_first=True)

    async def unread_count(self, user_id: str) -> int:
        return await self.coll.count_documents({"recipientUserId": user_id, "read": UNREAD})

    async def mark_read(self, user_id: str, ids: list[str] | None) -> int:
        query: dict[str, Any] = {"recipientUserId": user_id, "read": UNREAD}
        if ids is not None:
            query["_id"] = {"$in": ids}
        return (await self.coll.update_many(query, {"$set": {"read": True}})).modified_count

    async def insert_many(self, docs: list[dict[str, Any]], session=None) -> None:
        """Messages and, in the same transaction, their `notificationReceived` events; every `page`
        is stored as the absolute `/pages/...` path that `wx.navigateTo` needs."""
        for doc in docs:
            if doc.get("page") is not None:
                doc["page"] = page_path(doc["page"])
        if docs:
            await stamps.insert_all(self.coll, docs, session=session)
            await EventLog(self.db).append(notification_events(docs), session=session)

    async def claim(self, now: datetime, lease_until: datetime) -> dict[str, Any] | None:
        """Take one due message; the lease stops other workers from sending it meanwhile."""
        return await self.coll.find_one_and_update(
            {"state": "pending", "nextAttemptAt": {"$lte": now}},
            {"$set": {"nextAttemptAt": lease_until}, "$inc": {"attempts": 1}},
            sort=[("nextAttemptAt", ASCENDING)], return_document=ReturnDocument.AFTER)

    async def finish(self, id: str, state: str, **fields: Any) -> None:
        await self.coll.update_one({"_id": id}, {"$set": {"state": state, **fields}})

    async def retry_later(self, id: str, at: datetime, error: str) -> None:
        await self.coll.update_one({"_id": id}, {"$set": {"nextAttemptAt": at, "lastError": error}})
