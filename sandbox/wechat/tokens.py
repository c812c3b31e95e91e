"""Access tokens as WeChat hands them out: 7200 s each. `stable_token` (normal mode) renews
only in a token's last 5 minutes and keeps the old one valid until its own expiry; a forced
refresh (20 a day) retires every earlier token at once. `/cgi-bin/token` always issues a new
one and leaves the previous one 5 more minutes. A superseded token answers 40001, an
expired one 42001."""

from __future__ import annotations

import secrets
from collections import deque
from dataclasses import dataclass

from .clock import FakeClock
from .faults import WeChatFault

TOKEN_TTL = 7200
TOKEN_RENEW_WINDOW = 300  # stable_token (normal mode) hands out a new token in the last 5 minutes
TOKEN_GRACE = 300  # after /cgi-bin/token issues a new token the old one works 5 more minutes
FORCE_REFRESH_PER_DAY = 20


@dataclass
class AccessToken:
    value: str
    expires_at: float


class AccessTokens:
    """The fake's tokens: the current one, older ones still valid, retired ones (for 40001/42001)."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self._token: AccessToken | None = None
        self._older: list[AccessToken] = []  # previous tokens still inside their grace period
        self._retired: dict[str, float] = {}  # superseded token -> its natural expiry
        self._forced: deque[float] = deque()

    def stable(self, force: bool) -> tuple[str, int]:
        """The `stable_token` answer, (token, seconds left): `force` retires every earlier token."""
        now = self.clock.now()
        current = self._token
        if force:
            while self._forced and self._forced[0] <= now - 86400:
                self._forced.popleft()
            if len(self._forced) >= FORCE_REFRESH_PER_DAY:
                raise WeChatFault(45009)
            self._forced.append(now)
            self._retire_all()
            current = self._new_token(now)
        elif current is None or current.expires_at - now <= TOKEN_RENEW_WINDOW:
            if current is not None and current.expires_at > now:
                self._older.append(current)  # still valid until its own expiry
            current = self._new_token(now)
        return current.value, int(current.expires_at - now)

    def fresh(self) -> AccessToken:
        """The `/cgi-bin/token` answer: always a new token; the previous one has a grace period."""
        now = self.clock.now()
        if self._token is not None:
            old = self._token
            self._older.append(AccessToken(old.value, min(old.expires_at, now + TOKEN_GRACE)))
        return self._new_token(now)

    def check(self, token: str | None) -> None:
        """40001 for unknown or superseded tokens, 42001 for expired ones, 41001 when missing."""
        if not token:
            raise WeChatFault(41001)
        now = self.clock.now()
        if any(t is not None and t.value == token and t.expires_at > now for t in [self._token, *self._older]):
            return
        natural = self._retired.get(token)
        if natural is None and self._token is not None and self._token.value == token:
            natural = self._token.expires_at
        # Past its 7200 s: expired (42001). Superseded or out of its grace period: not latest (40001).
        raise WeChatFault(42001 if natural is not None and natural <= now else 40001)

    def _new_token(self, now: float) -> AccessToken:
        if self._token is not None:
            self._retired[self._token.value] = self._token.expires_at
        self._token = AccessToken("ACCESS_TOKEN_" + secrets.token_urlsafe(48), now + TOKEN_TTL)
        self._older = [t for t in self._older if t.expires_at > now]
        return self._token

    def _retire_all(self) -> None:
        """Forced refresh: every earlier token answers 40001 from now on (42001 once expired)."""
        for t in [self._token, *self._older]:
            if t is not None:
                self._retired[t.value] = t.expires_at
        self._token, self._older = None, []
