"""One access token shared by every worker, refreshed by exactly one of them at a time.

Fetching tokens independently makes workers invalidate each other, so the token lives in
one MongoDB document with an expiry and a lease (docs/wechat.md). A worker that needs a
token reads the document; when it is missing or expiring within `refresh_margin`, the
worker tries to take the lease with a compare-and-set. The winner fetches from
`stable_token` and stores the result; the others poll the document until the new token
appears (or the winner's lease lapses, when one of them takes over).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import structlog

from community_plus.integrations.wechat.token_repository import WeChatTokenRepository
from community_plus.integrations.wechat.errors import WeChatUnavailable

log = structlog.get_logger("community_plus.integrations.wechat.tokens")

# fetch(force_refresh) -> (access_token, expires_in seconds)
Fetch = Callable[[bool], Awaitable[tuple[str, int]]]


class SharedAccessToken:
    """The access token of one appid, cached in `wechat_tokens` behind a refresh lease."""

    def __init__(self, repo: WeChatTokenRepository, appid: str, fetch: Fetch, *,
                 refresh_margin: float = 300.0, lease_seconds: float = 10.0,
                 poll_interval: float = 0.05, clock: Callable[[], float] = time.time) -> None:
        self.repo = repo
        self.appid = appid
        self.fetch = fetch
        self.refresh_margin = refresh_margin
        self.lease_seconds = lease_seconds
        self.poll_interval = poll_interval
        self.clock = clock

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    def _fresh(self, doc: dict | None, now: datetime) -> bool:
        if not doc or not doc.get("token") or not doc.get("expiresAt"):
            return False
        expires = doc["expiresAt"]
        if expires.tzinfo is None:  # a client without tz_aware=True reads naive UTC
            expires = expires.replace(tzinfo=UTC)
        return expires - now > timedelta(seconds=self.refresh_margin)

    async def get(self) -> str:
        """A valid access token, fetching it (once, across all workers) when needed."""
        deadline = self.clock() + self.lease_seconds * 2 + 5
        while True:
            now = self._now()
            doc = await self.repo.read(self.appid)
            if self._fresh(doc, now):
                return doc["token"]  # type: ignore[index]
            owner = uuid.uuid4().hex
            leased = await self.repo.try_lease(self.appid, owner, now, now + timedelta(seconds=self.lease_seconds))
            if leased is not None:
                return await self._refresh(leased, owner, now)
            if self.clock() > deadline:
                raise WeChatUnavailable(-1, "timed out waiting for another worker to refresh the access token")
            await asyncio.sleep(self.poll_interval)

    async def _refresh(self, doc: dict, owner: str, now: datetime) -> str:
        if self._fresh(doc, now):  # someone stored a token between our read and our lease
            await self.repo.release(self.appid, owner)
            return doc["token"]
        try:
            token, expires_in = await self.fetch(False)
            if token == doc.get("staleToken"):
                # WeChat still hands out the token it just refused: force a new one.
                token, expires_in = await self.fetch(True)
        except BaseException:
            await self.repo.release(self.appid, owner)
            raise
        fetched = self._now()
        await self.repo.store(self.appid, owner, token, fetched + timedelta(seconds=expires_in), fetched)
        log.info("wechat access token refreshed", appid=self.appid, expires_in=expires_in)
        return token

    async def invalidate(self, token: str) -> None:
        """WeChat refused `token` (40001/40014/42001): the next `get()` fetches a fresh one."""
        await self.repo.invalidate(self.appid, token, self._now())
