"""Logins, token issue, refresh-token rotation with reuse detection, logout."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TYPE_CHECKING

from community_plus.platform.access import Principal
from community_plus.domains.staff.login_guard import LoginGuard
from community_plus.platform.errors import BadUserInput, Unauthenticated
from community_plus.platform.repository import new_id
from community_plus.platform.security.passwords import hash_password, verify_password
from community_plus.platform.security.tokens import hash_refresh_token, issue_access_token, new_refresh_token

if TYPE_CHECKING:
    from community_plus.domains.platform import Platform

_DUMMY_HASH = hash_password("timing-equaliser")
MAX_USERNAME = 64
MAX_PASSWORD = 256


@dataclass(slots=True)
class Tokens:
    access_token: str
    refresh_token: str
    expires_in: int
    principal: Principal


def principal_of(user: dict[str, Any], session_id: str | None = None) -> Principal:
    return Principal(
        user_id=user["_id"],
        role=user["role"],
        display_name=user.get("displayName", user.get("username", "")),
        region_id=user.get("regionId"),
        community_id=user.get("communityId"),
        grid_ids=tuple(user.get("gridIds", ())),
        resident_id=user.get("residentId"),
        session_id=session_id,
        department_id=user.get("departmentId"),
    )


class AuthService:
    def __init__(self, platform: Platform) -> None:
        self.p = platform

    async def login_with_password(self, username: str, password: str, totp_code: str | None = None,
                                  request_id: str | None = None) -> Tokens:
        if not username or not password:
            raise BadUserInput({k: "必填 (required)" for k, v in (("username", username), ("password", password)) if not v})
        too_long = {k: f"最多{n}个字符 (at most {n} characters)"
                    for k, v, n in (("username", username, MAX_USERNAME), ("password", password, MAX_PASSWORD)) if len(v) > n}
        if too_long:  # no account has one this long; and hashing megabytes would be a denial of service
            raise BadUserInput(too_long)
        user = await self.p.users.by_username(username)
        if user is None or user.get("disabled") or not user.get("passwordHash"):
            verify_password(_DUMMY_HASH, password)  # same cost whether or not the user exists
            raise Unauthenticated("用户名或密码错误 (wrong username or password)")
        guard = LoginGuard(self.p, request_id)  # per-account back-off and TOTP (domains/staff/login_guard.py)
        await guard.check_not_locked(user)
        if not verify_password(user["passwordHash"], password):
            await guard.failed(user)
            raise Unauthenticated("用户名或密码错误 (wrong username or password)")
        await guard.succeeded(user, totp_code)
        return await self.start_session(user)

    async def start_session(self, user: dict[str, Any]) -> Tokens:
        session_id = new_id()
        refresh = new_refresh_token()
        now = datetime.now(UTC)
        await self.p.sessions.create({
            "_id": session_id, "userId": user["_id"], "tokenHash": hash_refresh_token(refresh),
            "previousHashes": [], "revoked": False, "createdAt": now,
            "expiresAt": now + timedelta(seconds=self.p.settings.refresh_token_ttl),
        })
        return self._tokens(principal_of(user, session_id), refresh)

    def _tokens(self, principal: Principal, refresh: str) -> Tokens:
        ttl = self.p.settings.access_token_ttl
        return Tokens(issue_access_token(principal.claims(), self.p.settings.signing_key, ttl), refresh, ttl, principal)

    async def refresh(self, refresh_token: str) -> Tokens:
        old = hash_refresh_token(refresh_token)
        new = new_refresh_token()
        expires = datetime.now(UTC) + timedelta(seconds=self.p.settings.refresh_token_ttl)
        session = await self.p.sessions.rotate(old, hash_refresh_token(new), expires)
        if session is None:
            reused = await self.p.sessions.by_previous(old)
            if reused is not None:
                await self.p.sessions.revoke(reused["_id"])
                self.p.session_gate.forget(reused["_id"])
                raise Unauthenticated("刷新令牌已被使用，会话已注销 (refresh token reused: the session was revoked, log in again)")
            raise Unauthenticated("刷新令牌无效或已过期 (invalid or expired refresh token: log in again)")
        user = await self.p.users.get(session["userId"])
        if user is None or user.get("disabled"):
            await self.p.sessions.revoke(session["_id"])
            self.p.session_gate.forget(session["_id"])
            raise Unauthenticated("账号已停用 (account disabled)")
        return self._tokens(principal_of(user, session["_id"]), new)

    async def logout(self, principal: Principal) -> bool:
        if principal.session_id:
            await self.p.sessions.revoke(principal.session_id)
            self.p.session_gate.forget(principal.session_id)
        return True
