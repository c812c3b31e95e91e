"""Access tokens end with their session: logout, refresh-token reuse and disabled accounts
take effect within seconds, not when the 15-minute token expires.

Every authenticated request asks `SessionGate.live(principal)`: the session must exist, not
be revoked or expired, and belong to an account that is not disabled. Answers are cached per
worker for `ttl` seconds (2 by default), so a busy session costs two point reads every two
seconds, and a revocation made by any worker is seen by all of them within `ttl`; the worker
that revokes forgets its cached answer at once. Concurrent requests of one session share one
lookup.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from community_plus.platform.access import Principal
    from community_plus.domains.identity.sessions_repository import SessionRepository
    from community_plus.domains.staff.users_repository import UserRepository

MAX_ENTRIES = 100_000


class SessionGate:
    def __init__(self, sessions: SessionRepository, users: UserRepository, ttl: float = 2.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.sessions = sessions
        self.users = users
        self.ttl = ttl
        self.clock = clock
        self._cache: dict[str, tuple[bool, float]] = {}
        self._pending: dict[str, asyncio.Future[bool]] = {}

    async def live(self, principal: Principal) -> bool:
        sid = principal.session_id
        if not sid:
            return False  # every token we issue names its session
        hit = self._cache.get(sid)
        if hit is not None and self.clock() - hit[1] < self.ttl:
            return hit[0]
        pending = self._pending.get(sid)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._pending[sid] = future
        try:
            live = await self._lookup(sid, principal.user_id)
            future.set_result(live)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: waiters re-raise it, nobody logs "never retrieved"
            raise
        finally:
            del self._pending[sid]
        if len(self._cache) >= MAX_ENTRIES:
            self._cache.clear()
        self._cache[sid] = (live, self.clock())
        return live

    async def _lookup(self, sid: str, user_id: str) -> bool:
        session, user = await asyncio.gather(self.sessions.get(sid), self.users.get(user_id))
        return (session is not None and not session.get("revoked") and session.get("userId") == user_id
                and _later(session.get("expiresAt")) and user is not None and not user.get("disabled"))

    def forget(self, session_id: str | None) -> None:
        if session_id:
            self._cache.pop(session_id, None)


def _later(moment: datetime | None) -> bool:
    if moment is None:
        return True
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment > datetime.now(UTC)
