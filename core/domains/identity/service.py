"""Resident login with WeChat and phone verification.

`login(code)` exchanges a `wx.login()` code for the openid, finds or creates the WeChat
identity and its resident account (unbound: `me` works, personal data needs binding) and
starts a session. `bind_phone(code)` verifies the phone through `getuserphonenumber`;
`bind_phone_encrypted(...)` is the legacy path (decrypted with the stored session_key).
The verified phone then goes to `BindingService`, which binds the matching resident record
or files a request for community staff. Attempts are rate-limited per openid and per IP.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog

from community_plus.platform.context import RequestContext
from community_plus.platform.errors import (BadUserInput, Forbidden, RateLimited, Unauthenticated,
    WeChatNotConfigured)
from community_plus.platform.rate_limit import Limit, RateLimiter
from community_plus.platform.repository import new_id
from community_plus.domains.identity.repositories import IdentityRepositories
from community_plus.platform.validation import mask_phone, normalize_phone
from community_plus.integrations.wechat import (CodeUsed, InvalidCode, RiskyUser, WeChatBusy, WeChatClient,
    WeChatConfigError, WeChatDataError, WeChatRateLimited, decrypt_legacy_phone)
from community_plus.domains.identity.auth import AuthService, Tokens
from community_plus.domains.identity.bindings import BindingService, BindOutcome

log = structlog.get_logger("community_plus.wechat_identity")

SESSION_KEY_FIELD = "wechat.sessionKey"
BUSY_RETRY_AFTER = 3
MAX_CODE_LENGTH = 256
LOGIN_CODE_INVALID = "登录凭证无效或已过期，请重新调用 wx.login (invalid or expired code: call wx.login again)"
PHONE_CODE_INVALID = ("手机号授权已失效，请重新点击授权按钮 "
                      "(invalid or expired phone code: ask again with the phone button)")


@dataclass(frozen=True, slots=True)
class IdentityLimits:
    """Attempt limits; override per app with `platform.identity_limits`."""

    login_per_ip: Limit = Limit("wechat-login:ip", 60, 60)
    login_per_openid: Limit = Limit("wechat-login:openid", 10, 60)
    bind_per_ip: Limit = Limit("wechat-bind:ip", 30, 60)
    bind_per_openid: Limit = Limit("wechat-bind:openid", 10, 3600)


@contextmanager
def wechat_errors(code_field: str = "code", *, phone: bool = False) -> Iterator[None]:
    """Turn WeChat errors into GraphQL errors a mini-program can act on."""
    try:
        yield
    except CodeUsed as exc:
        raise BadUserInput({code_field: "登录凭证已被使用，请重新调用 wx.login 获取新的 code "
                                        "(code already used: get a new one with wx.login)"}) from exc
    except InvalidCode as exc:
        message = PHONE_CODE_INVALID if phone else LOGIN_CODE_INVALID
        raise BadUserInput({code_field: message}) from exc
    except RiskyUser as exc:
        raise Forbidden("微信判定该账号存在安全风险，暂时无法登录 (WeChat blocked this account as high-risk)",
                        wechatErrcode=exc.errcode) from exc
    except WeChatRateLimited as exc:
        raise RateLimited("微信接口调用过于频繁，请稍后再试 (WeChat rate limit reached: retry later)",
                          retry_after=60, wechatErrcode=exc.errcode) from exc
    except WeChatBusy as exc:  # -1 after the client's retries, or WeChat unreachable
        log.warning("wechat unavailable", errcode=exc.errcode, errmsg=exc.errmsg)
        raise RateLimited("微信服务繁忙，请稍后重试 (WeChat is busy or unreachable: retry in a few seconds)",
                          retry_after=BUSY_RETRY_AFTER, retryable=True, wechatErrcode=exc.errcode) from exc
    except WeChatConfigError as exc:  # no CP_WECHAT_SECRET, or WeChat refused our appid/secret
        log.error("wechat credentials missing or refused: set CP_WECHAT_APPID and CP_WECHAT_SECRET",
                  errcode=exc.errcode, errmsg=exc.errmsg)
        raise WeChatNotConfigured() from exc  # no errcode: it would only hint at our secret
    except WeChatDataError as exc:  # a phone code issued to another mini-program (watermark.appid)
        raise BadUserInput({code_field: PHONE_CODE_INVALID if phone else LOGIN_CODE_INVALID}) from exc
    # Anything else (unexpected errcodes) is unknown to us: masked and logged.


class WeChatIdentityService:
    def __init__(self, ctx: RequestContext) -> None:
        self.ctx = ctx
        self.p = ctx.platform
        self.repos = IdentityRepositories.of(self.p)
        self.limiter = RateLimiter(self.repos.rate_limits)
        self.limits: IdentityLimits = self.p.identity_limits or IdentityLimits()

    @property
    def client(self) -> WeChatClient:
        client = self.p.wechat
        if client is None:  # setup_wechat(app) missing from create_app, or the app is shutting down
            log.error("the WeChat client is not set up: call setup_wechat(app) in create_app")
            raise WeChatNotConfigured()
        return client

    def _ip(self) -> str:
        request = self.ctx.request
        return (request.remote if request is not None else None) or "unknown"

    # -- login --------------------------------------------------------------------------
    async def login(self, code: str) -> Tokens:
        """Exchange a `wx.login()` code for tokens of the caller's resident account."""
        code = _required_code(code, "code")
        await self.limiter.hit(self.limits.login_per_ip, self._ip())
        with wechat_errors("code"):
            session = await self.client.code_to_session(code)
        await self.limiter.hit(self.limits.login_per_openid, session.openid)
        now = datetime.now(UTC)
        sealed_key = self.p.keyring.seal(session.session_key, SESSION_KEY_FIELD)
        identity = await self.repos.identities.by_openid(session.openid)
        new_user: dict[str, Any] | None = None
        if identity is None:
            new_user = {"_id": new_id(), "role": "resident", "displayName": "微信用户", "residentId": None,
                        "communityId": None, "source": "wechat", "createdAt": now}
            await self.repos.accounts.create(new_user)
        identity = await self.repos.identities.record_login(
            self.client.appid, session.openid, session.unionid, sealed_key, now,
            user_id_if_new=new_user["_id"] if new_user else new_id())
        if new_user is not None and identity["userId"] != new_user["_id"]:
            await self.repos.accounts.delete_unbound(new_user["_id"])  # a concurrent first login won
        user = await self.p.users.get(identity["userId"])
        if user is None or user.get("disabled"):
            raise Unauthenticated("账号已停用 (account disabled)")
        return await AuthService(self.p).start_session(user)

    # -- phone binding ------------------------------------------------------------------
    async def _caller(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """The calling resident account and its WeChat identity."""
        principal = self.ctx.scope.require()
        if principal.role != "resident":
            raise Forbidden("仅限微信登录的居民使用 (only residents logged in with WeChat can bind a phone)")
        identity = await self.repos.identities.by_user(principal.user_id)
        user = await self.p.users.get(principal.user_id)
        if identity is None or user is None:
            raise Unauthenticated("请先使用微信登录 (log in with loginWithWechat first)")
        return user, identity

    async def _limit_bind(self, identity: dict[str, Any]) -> None:
        await self.limiter.hit(self.limits.bind_per_ip, self._ip())
        await self.limiter.hit(self.limits.bind_per_openid, identity["openid"])

    async def bind_phone(self, code: str, community_id: str | None, name: str | None) -> BindOutcome:
        """Verify the phone behind a phone-button code, then bind (or request binding)."""
        code = _required_code(code, "code")
        user, identity = await self._caller()
        await self._limit_bind(identity)
        with wechat_errors("code", phone=True):
            info = await self.client.get_phone_number(code)
        phone = _phone_of(info.pure_phone_number, info.country_code)
        return await self._verified(user, identity, phone, community_id, name, "getuserphonenumber")

    async def bind_phone_encrypted(self, encrypted_data: str, iv: str, community_id: str | None,
                                   name: str | None) -> BindOutcome:
        """Legacy path: decrypt the phone with the session_key stored at the last login."""
        if not encrypted_data or not iv:
            raise BadUserInput({k: "必填 (required)" for k, v in (("encryptedData", encrypted_data), ("iv", iv))
                                if not v})
        user, identity = await self._caller()
        await self._limit_bind(identity)
        session_key = self.p.keyring.open(identity.get("sessionKeySealed"), SESSION_KEY_FIELD)
        if not session_key:
            raise BadUserInput({"encryptedData": "请先重新登录 (no session key: call wx.login and loginWithWechat)"})
        try:
            data = decrypt_legacy_phone(session_key, iv, encrypted_data, self.client.appid)
        except WeChatDataError as exc:
            raise BadUserInput({"encryptedData": "解密失败，请重新登录后再授权手机号 (cannot decrypt: the session "
                                                 "key is stale or the data is not for this mini-program; call "
                                                 "wx.login and loginWithWechat, then retry)"}) from exc
        pure = data.get("purePhoneNumber")
        if not isinstance(pure, str) or not pure:
            raise BadUserInput({"encryptedData": "数据中没有手机号 (the decrypted data holds no phone number)"})
        phone = _phone_of(pure, str(data.get("countryCode", "86")))
        return await self._verified(user, identity, phone, community_id, name, "encryptedData")

    async def _verified(self, user: dict[str, Any], identity: dict[str, Any], phone: str,
                        community_id: str | None, name: str | None, method: str) -> BindOutcome:
        keyring = self.p.keyring
        await self.repos.identities.set_verified_phone(
            identity["_id"], keyring.seal(phone, "phone"), keyring.blind_index(phone, "phone"), mask_phone(phone),
            datetime.now(UTC))
        return await BindingService(self.ctx).bind_verified_phone(user, phone, community_id, name, method)


def _required_code(code: str, field: str) -> str:
    code = (code or "").strip()
    if not code:
        raise BadUserInput({field: "必填 (required)"})
    if len(code) > MAX_CODE_LENGTH:
        raise BadUserInput({field: "格式错误 (too long to be a WeChat code)"})
    return code


def _phone_of(pure: str, country_code: str) -> str:
    """Mainland numbers as stored on resident records (13812345678); others with +country code."""
    cc = country_code.lstrip("+") or "86"
    return normalize_phone(pure) if cc == "86" else f"+{cc}{normalize_phone(pure)}"


__all__ = ["IdentityLimits", "WeChatIdentityService", "wechat_errors"]
