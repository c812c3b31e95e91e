"""One subscription socket: who is on it, in which community, and how it ends.

`authenticate` reads `connection_init`'s payload: the same access token as over HTTP
(`accessToken`, or `Authorization: Bearer …`), and `X-Community-Id` for staff whose scope
covers several communities (checked exactly like the HTTP header). A refusal closes the
socket with a code the client can act on:

    4401 UNAUTHENTICATED  no token, an invalid one, a revoked session: log in (graphql-ws: fatal)
    4419 TOKEN_EXPIRED    the access token expired (at connect or later): refresh, reconnect
    4403 FORBIDDEN        X-Community-Id outside the caller's scope
    4429 RATE_LIMITED     too many sockets for this user (CP_WS_MAX_SOCKETS_PER_USER)
    4013 SLOW_CONSUMER    the client did not read its events fast enough: reconnect, resume
    1001 going away       the worker is shutting down: reconnect (another worker answers)
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import jwt
import structlog
from pymongo.errors import ConnectionFailure

from community_plus.platform.access import Principal, Scope
from community_plus.platform.errors import Unauthenticated
from community_plus.platform.security.tokens import read_access_token

log = structlog.get_logger("community_plus.realtime")

UNAUTHENTICATED, TOKEN_EXPIRED, FORBIDDEN, TOO_MANY, SLOW_CONSUMER, UNAVAILABLE = 4401, 4419, 4403, 4429, 4013, 4503
GOING_AWAY = 1001
CLOSE_TIMEOUT = 2.0


class Refusal(Exception):
    """Close the socket with `code` and a short ASCII `reason` (at most 123 bytes)."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason[:123]


def _token(payload: dict[str, Any]) -> str | None:
    for key in ("accessToken", "access_token", "authorization", "Authorization"):
        value = payload.get(key)
        if isinstance(value, str) and value.strip():
            scheme, _, rest = value.strip().partition(" ")
            return rest.strip() if scheme.lower() == "bearer" and rest else value.strip()
    return None


def _community_field(payload: dict[str, Any]) -> str | None:
    for key in ("X-Community-Id", "x-community-id", "communityId"):
        value = payload.get(key)
        if value is not None:
            if not isinstance(value, str) or not value:
                raise Refusal(4400, "BAD_USER_INPUT: X-Community-Id must be a community id string")
            return value
    return None


@dataclass(slots=True)
class Identity:
    scope: Scope
    community: dict[str, Any] | None
    expires_at: float  # the access token's `exp` (epoch seconds)


async def authenticate(platform: Any, payload: dict[str, Any], upgrade_scope: Scope) -> Identity:
    """Who the socket belongs to, or a `Refusal`."""
    token = _token(payload)
    if token is None:
        if upgrade_scope.auth_error is not None:  # a bad `Authorization` header on the upgrade itself
            raise Refusal(UNAUTHENTICATED, "UNAUTHENTICATED: invalid access token (log in again)")
        raise Refusal(UNAUTHENTICATED, "UNAUTHENTICATED: no access token in connection_init (log in)")
    try:
        claims = read_access_token(token, platform.settings.signing_key)
    except Unauthenticated as exc:
        if isinstance(exc.__cause__, jwt.ExpiredSignatureError):
            raise Refusal(TOKEN_EXPIRED, "TOKEN_EXPIRED: access token expired (refreshSession, then reconnect)") \
                from exc
        raise Refusal(UNAUTHENTICATED, "UNAUTHENTICATED: invalid access token (log in again)") from exc
    principal = Principal.from_claims(claims)
    try:
        if principal.session_id and not await platform.sessions.is_active(principal.session_id):
            raise Refusal(UNAUTHENTICATED, "UNAUTHENTICATED: session revoked (log in again)")
        scope = Scope(principal=principal)
        community_id = _community_field(payload)
        community = None
        if community_id is not None:
            community = await platform.regions.get(community_id)
            if community is None or community.get("level") != "community" or not scope.covers_community(community):
                raise Refusal(FORBIDDEN, "FORBIDDEN: X-Community-Id is outside your scope")
            scope.community_id = community_id
        elif principal.role not in ("platform_admin", "region_admin"):
            scope.community_id = principal.community_id
            if scope.community_id:
                community = await platform.regions.get(scope.community_id)
    except ConnectionFailure as exc:
        raise Refusal(UNAVAILABLE, "SERVICE_UNAVAILABLE: the database is unavailable (retry)") from exc
    return Identity(scope=scope, community=community, expires_at=float(claims["exp"]))


@dataclass(eq=False)
class Connection:
    """An authenticated socket (one per `connection_init` that was acknowledged)."""

    identity: Identity
    websocket: Any  # strawberry's websocket adapter (`close(code, reason)`)
    module_set: frozenset[str]
    transport: Any = None  # aiohttp's transport, aborted when a close does not finish
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    subscriptions: set = field(default_factory=set)
    closed: bool = False
    _timer: asyncio.TimerHandle | None = None
    _closing: asyncio.Task | None = None

    @property
    def principal(self) -> Principal:
        return self.identity.scope.principal  # type: ignore[return-value]

    @property
    def community_id(self) -> str | None:
        return self.identity.scope.community_id

    @property
    def community_path(self) -> list[str]:
        c = self.identity.community
        return [*c.get("path", []), c["_id"]] if c else []

    def ack_payload(self) -> dict[str, Any]:
        p = self.principal
        return {"userId": p.user_id, "role": p.role, "communityId": self.community_id,
                "modules": sorted(self.module_set),
                "expiresAt": datetime.fromtimestamp(self.identity.expires_at, UTC).isoformat()}

    def expire_at_token_expiry(self) -> None:
        delay = max(0.0, self.identity.expires_at - time.time())
        self._timer = asyncio.get_running_loop().call_later(
            delay, self.drop, TOKEN_EXPIRED, "TOKEN_EXPIRED: access token expired (refreshSession, then reconnect)")

    def drop_slow_consumer(self) -> None:
        self.drop(SLOW_CONSUMER, "SLOW_CONSUMER: events were not read in time (reconnect with after=<cursor>)")

    def drop(self, code: int, reason: str) -> None:
        """Close the socket soon (from synchronous code); idempotent."""
        if self._closing is None and not self.closed:
            self._closing = asyncio.get_running_loop().create_task(self.close(code, reason))

    async def close(self, code: int, reason: str) -> None:
        """Close with a code; a client that does not take the close frame in time is cut off."""
        if self.closed:
            return
        self.closed = True
        if self._timer is not None:
            self._timer.cancel()
        for subscription in list(self.subscriptions):
            subscription.end()
        try:
            await asyncio.wait_for(self.websocket.close(code, reason), CLOSE_TIMEOUT)
        except Exception:  # a full send buffer or a dead peer: abort the transport
            if self.transport is not None:
                self.transport.abort()
        log.info("socket closed by the server", code=code, reason=reason, user=self.principal.user_id)

    def forget(self) -> None:
        """The socket is gone (whoever closed it)."""
        self.closed = True
        if self._timer is not None:
            self._timer.cancel()
        for subscription in list(self.subscriptions):
            subscription.close()
