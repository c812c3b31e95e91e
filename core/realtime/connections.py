"""The sockets of one worker: opening (with the per-user limit), revalidation, module
switches and shutdown.

Every `CP_WS_REVALIDATE_SECONDS` one batched read checks that each socket's session is
still active and its account enabled with the same role; otherwise the socket is closed
(4401). Token expiry closes a socket exactly at `exp` (4419, a timer per socket). When a
community's module set changes, its sockets bind the new schema for their next
operations and the subscriptions of modules switched off end with MODULE_DISABLED.
"""

from __future__ import annotations

import asyncio
from typing import Any

import structlog

from community_plus.platform.errors import ModuleDisabled
from community_plus.realtime.connection import (GOING_AWAY, TOO_MANY, UNAUTHENTICATED, Connection, Identity,
    Refusal)
from community_plus.platform.event_log import MODULE_STATE
from community_plus.realtime.events import Event
from community_plus.realtime.metrics import RealtimeMetrics
from community_plus.realtime.presence import Presence

log = structlog.get_logger("community_plus.realtime")


class Connections:
    def __init__(self, platform: Any, presence: Presence, metrics: RealtimeMetrics, max_per_user: int) -> None:
        self.platform = platform
        self.presence = presence
        self.metrics = metrics
        self.max_per_user = max_per_user
        self._open: set[Connection] = set()
        self._tasks: set[asyncio.Task] = set()

    def __len__(self) -> int:
        return len(self._open)

    def __iter__(self):
        return iter(list(self._open))

    async def open(self, identity: Identity, websocket: Any, module_set: frozenset[str],
                   transport: Any = None) -> Connection:
        conn = Connection(identity=identity, websocket=websocket, module_set=module_set, transport=transport)
        if not await self.presence.claim(conn.id, conn.principal.user_id, self.max_per_user):
            raise Refusal(TOO_MANY, f"RATE_LIMITED: at most {self.max_per_user} sockets per user")
        self._open.add(conn)
        self.metrics.sockets.set(len(self._open))
        conn.expire_at_token_expiry()
        return conn

    async def gone(self, conn: Connection) -> None:
        conn.forget()
        if conn in self._open:
            self._open.discard(conn)
            self.metrics.sockets.set(len(self._open))
            try:
                await self.presence.release(conn.id)
            except Exception:  # the row expires by itself
                log.warning("could not release a presence row", socket=conn.id)

    # -- revocation -----------------------------------------------------------------------
    async def revalidate(self) -> int:
        """Close sockets whose session was revoked or whose account changed; returns how many."""
        conns = list(self._open)
        if not conns:
            return 0
        sessions = await self.platform.sessions.get_many([c.principal.session_id for c in conns
                                                          if c.principal.session_id])
        users = await self.platform.users.get_many([c.principal.user_id for c in conns])
        closed = 0
        for conn in conns:
            p = conn.principal
            session = sessions.get(p.session_id) if p.session_id else {"revoked": False}
            user = users.get(p.user_id)
            why = None
            if session is None or session.get("revoked"):
                why = "UNAUTHENTICATED: session revoked (log in again)"
            elif user is None or user.get("disabled"):
                why = "UNAUTHENTICATED: account disabled"
            elif user.get("role") != p.role:
                why = "UNAUTHENTICATED: your role changed (log in again)"
            if why:
                conn.drop(UNAUTHENTICATED, why)
                closed += 1
        await self.presence.refresh([c.id for c in self._open if not c.closed])
        return closed

    async def run(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                await self.revalidate()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("socket revalidation failed; retrying", exc_info=True)

    # -- module switches -------------------------------------------------------------------
    def on_event(self, event: Event) -> None:
        """Called by the hub for every event, before it is delivered."""
        if event.topic != MODULE_STATE:
            return
        states = self.platform.modules.states
        states.invalidate()  # what the subscribers read next must be the new state
        self.spawn(self._rebind(event.payload["regionId"]))

    def spawn(self, coro) -> None:
        """Run `coro` in the background (kept referenced; cancelled at shutdown)."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _rebind(self, region_id: str) -> None:
        states = self.platform.modules.states
        for conn in self:
            if conn.closed or not conn.community_id or region_id not in conn.community_path:
                continue
            try:
                conn.module_set = await states.enabled_for(conn.community_id)
            except Exception:
                log.warning("could not refresh a socket's modules", socket=conn.id, exc_info=True)
                continue
            for sub in list(conn.subscriptions):
                if sub.module and sub.module not in conn.module_set:
                    sub.end(ModuleDisabled(f"模块 {sub.module} 已在本社区停用 (module {sub.module} was switched off "
                                           "in this community)", module=sub.module))

    # -- shutdown --------------------------------------------------------------------------
    async def close_all(self, reason: str = "server shutting down (reconnect)") -> None:
        conns = list(self._open)
        await asyncio.gather(*(c.close(GOING_AWAY, reason) for c in conns), return_exceptions=True)
        for task in list(self._tasks):
            if task is not asyncio.current_task():
                task.cancel()
