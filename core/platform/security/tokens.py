"""Signed short-lived access tokens (JWT, HS256) and opaque refresh tokens."""

from __future__ import annotations

import hashlib
import secrets
import time
from typing import Any

import jwt

from community_plus.platform.errors import Unauthenticated

ISSUER = "community-plus"
TOKEN_EXPIRED = "TOKEN_EXPIRED"  # `extensions.reason` of UNAUTHENTICATED: refresh the session
TOKEN_INVALID = "TOKEN_INVALID"  # … a token that is not ours, tampered or malformed: log in again
SESSION_ENDED = "SESSION_ENDED"  # … its session was logged out or revoked, or the account disabled: log in again


def issue_access_token(claims: dict[str, Any], key: str, ttl: int) -> str:
    now = int(time.time())
    return jwt.encode({**claims, "iss": ISSUER, "iat": now, "exp": now + ttl}, key, algorithm="HS256")


def read_access_token(token: str, key: str) -> dict[str, Any]:
    try:
        return jwt.decode(token, key, algorithms=["HS256"], issuer=ISSUER)
    except jwt.ExpiredSignatureError as exc:
        raise Unauthenticated("登录已过期，请刷新 (access token expired: call refreshSession)",
                              reason=TOKEN_EXPIRED) from exc
    except jwt.PyJWTError as exc:
        raise Unauthenticated("无效的访问令牌，请重新登录 (invalid access token: log in again)",
                              reason=TOKEN_INVALID) from exc


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def hash_refresh_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
