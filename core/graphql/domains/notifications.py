"""The in-app inbox: the same messages the outbox sends through WeChat, readable in the
mini-program (the home screen shows the unread count)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from community_plus_sdk.module import page_path
from community_plus_sdk.relay import DEFAULT_FIRST, Connection, connection

from community_plus.domains.notifications.inbox import Inbox
from community_plus.platform.context import Ctx


@strawberry.type(description="A notification to the viewer (also sent as a WeChat subscription message).")
class Notification:
    id: strawberry.ID
    title: str
    state: str
    page: str | None = strawberry.field(description="Mini-program page to open, as wx.navigateTo takes it: an "
                                                    "absolute path such as /pages/work-orders/detail?id=…")
    read: bool
    created_at: datetime

    @classmethod
    def of(cls, d: dict[str, Any]) -> Notification:
        data = d.get("data") or {}
        return cls(id=d["_id"], title=(data.get("thing1") or {}).get("value", ""),
                   state=(data.get("phrase2") or {}).get("value", ""), page=_page(d.get("page")),
                   read=bool(d.get("read")), created_at=d["createdAt"])


def _page(value: str | None) -> str | None:
    """Messages queued before pages were normalised may lack the leading slash."""
    try:
        return page_path(value) if value else None
    except ValueError:
        return None


@strawberry.type
class NotificationsQuery:
    @strawberry.field(description="The viewer's notifications, newest first.")
    async def my_notifications(self, info: Ctx, unread_only: bool = False, first: int = DEFAULT_FIRST,
                               after: str | None = None) -> Connection[Notification]:
        page = await Inbox(info.context).messages(unread_only, first, after)
        return connection(page, Notification.of)

    @strawberry.field(description="How many of the viewer's notifications are unread.")
    async def unread_notification_count(self, info: Ctx) -> int:
        return await Inbox(info.context).unread_count()


@strawberry.type
class NotificationsMutation:
    @strawberry.mutation(description="Mark notifications read (all of the viewer's when ids is null); returns how many.")
    async def mark_notifications_read(self, info: Ctx, ids: list[strawberry.ID] | None = None) -> int:
        return await Inbox(info.context).mark_read(list(ids) if ids is not None else None)
