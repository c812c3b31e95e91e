"""The viewer's inbox: the outbox's messages to one user, read in the mini-program. Only the
signed-in recipient reads or marks them (anonymous callers are UNAUTHENTICATED)."""

from __future__ import annotations

from community_plus.platform.context import RequestContext
from community_plus.platform.repository import Page


class Inbox:
    def __init__(self, ctx: RequestContext) -> None:
        self.outbox = ctx.platform.outbox
        self.scope = ctx.scope

    async def messages(self, unread_only: bool, first: int, after: str | None) -> Page:
        return await self.outbox.of_recipient(self.scope.require().user_id, unread_only, first, after)

    async def unread_count(self) -> int:
        return await self.outbox.unread_count(self.scope.require().user_id)

    async def mark_read(self, ids: list[str] | None) -> int:
        """Mark `ids` (all of the viewer's when None) read; how many were unread."""
        return await self.outbox.mark_read(self.scope.require().user_id, ids)
