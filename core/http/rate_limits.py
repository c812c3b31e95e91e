"""Request rate limits per principal (by role) and per IP for anonymous callers, shared by
all workers through MongoDB counters. To keep the database off the hot path, each worker
counts locally and adds its count to the shared fixed-window counter in batches (every
`sync_every` requests or second), deciding with the last shared total plus what it has not
yet added. Over the limit: HTTP 429, `Retry-After`, and a GraphQL error RATE_LIMITED.
While the shared counter cannot be reached the worker counts locally (fails open).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from aiohttp import web
from pymongo.errors import PyMongoError

from community_plus.graphql.envelope import error_response
from community_plus.keys import PLATFORM, SCOPE
from community_plus.platform.rate_limit_counters import RateLimitRepository

WINDOW = 60


def parse_limits(value: str) -> dict[str, int]:
    out = {}
    for part in value.split(","):
        if "=" in part:
            role, n = part.split("=", 1)
            out[role.strip()] = int(n)
    return out


@dataclass
class _Counter:
    window: int
    shared: int = 0  # the shared total when this worker last synced
    pending: int = 0  # counted here, not yet added to the shared total
    synced_at: float = field(default_factory=time.monotonic)


class RequestLimiter:
    def __init__(self, repo: RateLimitRepository, limits: dict[str, int], sync_every: int = 20,
                 clock=time.time) -> None:
        self.repo = repo
        self.limits = limits
        self.sync_every = sync_every
        self.clock = clock
        self._counters: dict[str, _Counter] = {}

    async def check(self, subject: str, role: str) -> int | None:
        """Count one request; seconds to wait when over the limit, else None."""
        limit = self.limits.get(role)
        if not limit:
            return None
        now = self.clock()
        window = int(now // WINDOW)
        key = f"req:{role}:{subject}"
        c = self._counters.get(key)
        if c is None or c.window != window:
            c = self._counters[key] = _Counter(window)
            if len(self._counters) > 50_000:
                self._prune(window)
        c.pending += 1
        batch = max(1, min(self.sync_every, limit // 10))
        if c.pending >= batch or time.monotonic() - c.synced_at > 1.0:
            pending, c.pending = c.pending, 0
            c.synced_at = time.monotonic()
            try:
                c.shared = await self.repo.increment(f"{key}:{window}",
                                                     datetime.fromtimestamp((window + 1) * WINDOW, UTC), by=pending)
            except PyMongoError:  # database down: count locally, fail open (requests fail clearly anyway)
                c.pending += pending
        if c.shared + c.pending > limit:
            return max(1, math.ceil((window + 1) * WINDOW - now))
        return None

    def _prune(self, window: int) -> None:
        for k in [k for k, c in self._counters.items() if c.window != window]:
            del self._counters[k]


def rate_limit_middleware():
    @web.middleware
    async def middleware(request: web.Request, handler):
        platform = request.app.get(PLATFORM)
        limiter: RequestLimiter | None = platform.request_limiter if platform else None
        if limiter is not None and request.path in ("/graphql", "/upload"):
            principal = request[SCOPE].principal
            subject, role = (principal.user_id, principal.role) if principal else (request.remote or "?", "anonymous")
            wait = await limiter.check(subject, role)
            if wait is not None:
                return error_response(
                    request, [{"message": f"请求过于频繁，请{wait}秒后再试 (rate limited: retry after {wait} s)",
                               "extensions": {"code": "RATE_LIMITED", "retryAfter": wait}}],
                    429, {"Retry-After": str(wait)})
        return await handler(request)

    return middleware
