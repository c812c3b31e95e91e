"""Fixed-window rate limits counted in MongoDB, so every worker shares one count.

    limiter = RateLimiter(RateLimitRepository(platform.db))
    await limiter.hit(Limit("login:ip", 30, 60), request.remote)   # raises RateLimited

A fixed window allows at most 2 × limit in a burst straddling a boundary; that is fine for
abuse control (login and binding attempts) and costs one atomic update per attempt.
Subjects are hashed before they are stored (no IPs or openids in the collection).
When the database is unreachable `hit` raises `ConnectionFailure` (the request answers 503
SERVICE_UNAVAILABLE); any other database error fails open (logged): the request goes on.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog
from pymongo.errors import ConnectionFailure, PyMongoError

from community_plus.platform.errors import RateLimited
from community_plus.platform.rate_limit_counters import RateLimitRepository

log = structlog.get_logger("community_plus.platform.rate_limit")


@dataclass(frozen=True, slots=True)
class Limit:
    """At most `limit` hits per `window` seconds for each subject of `name`."""

    name: str
    limit: int
    window: int


class RateLimiter:
    def __init__(self, repo: RateLimitRepository, clock: Callable[[], float] = time.time) -> None:
        self.repo = repo
        self.clock = clock

    async def hit(self, limit: Limit, subject: str) -> int:
        """Count one attempt by `subject`; raise `RateLimited` (with retryAfter) over the limit."""
        now = self.clock()
        window = int(now // limit.window)
        window_end = (window + 1) * limit.window
        digest = hashlib.sha256(f"{limit.name}:{subject}".encode()).hexdigest()[:32]
        try:
            count = await self.repo.increment(f"{limit.name}:{digest}:{window}",
                                              datetime.fromtimestamp(window_end, UTC))
        except ConnectionFailure:
            raise
        except PyMongoError as exc:
            log.warning("rate-limit counter unavailable: failing open", limit=limit.name, error=str(exc))
            return 0
        if count > limit.limit:
            retry_after = max(1, math.ceil(window_end - now))
            raise RateLimited(f"操作过于频繁，请{retry_after}秒后再试 (too many attempts: retry after {retry_after} s)",
                              retry_after=retry_after, limit=limit.name)
        return count
