"""A thin asyncio client for the WeChat server APIs in docs/wechat.md.

One `aiohttp.ClientSession` per app (opened on first use), typed exceptions per `errcode`
(`platform/errors.py`), a missing `errcode` means 0. WeChat's -1 ("busy") is retried a few times
with exponential back-off; token errors (40001/40014/42001) invalidate the shared token
and the call is retried once with a fresh one. Network failures are not retried here: the
call may have taken effect (a code consumed, a message sent); callers decide.

    client = WeChatClient(appid, secret, "https://api.weixin.qq.com", platform.db)
    session = await client.code_to_session(code)     # WeChatSession(openid=…, unionid=…)
    await client.close()
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from pymongo.asynchronous.database import AsyncDatabase

from community_plus.integrations.wechat.token_repository import WeChatTokenRepository
from community_plus.integrations.wechat.errors import (InvalidToken, WeChatConfigError, WeChatDataError,
    WeChatUnavailable, errcode_of, raise_for)
from community_plus.integrations.wechat.tokens import SharedAccessToken


@dataclass(frozen=True, slots=True)
class WeChatSession:
    """The result of `jscode2session`. `session_key` never leaves the server."""

    openid: str
    session_key: str = field(repr=False)
    unionid: str | None = None


@dataclass(frozen=True, slots=True)
class PhoneInfo:
    """A verified phone number (`getuserphonenumber`)."""

    phone_number: str
    pure_phone_number: str
    country_code: str
    watermark_appid: str | None = None
    watermark_timestamp: int | None = None


@dataclass(frozen=True, slots=True)
class ContentCheck:
    """`msg_sec_check` verdict: suggest is "pass", "review" or "risky"."""

    suggest: str
    label: int
    trace_id: str | None = None

    @property
    def passed(self) -> bool:
        return self.suggest == "pass"


class WeChatClient:
    """Calls WeChat for one mini-program; the access token is shared through MongoDB."""

    def __init__(self, appid: str, secret: str | None, api_base: str, db: AsyncDatabase, *,
                 session: aiohttp.ClientSession | None = None, timeout: float = 5.0,
                 busy_retries: int = 2, busy_backoff: float = 0.2, **token_options: Any) -> None:
        self.appid = appid
        self.secret = secret
        self.api_base = api_base.rstrip("/")
        self.busy_retries = busy_retries
        self.busy_backoff = busy_backoff
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session = session
        self._owns_session = session is None
        self.tokens = SharedAccessToken(WeChatTokenRepository(db), appid, self._fetch_stable_token, **token_options)

    # -- plumbing -----------------------------------------------------------------------
    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout, raise_for_status=False)
            self._owns_session = True
        return self._session

    async def close(self) -> None:
        if self._owns_session and self._session is not None and not self._session.closed:
            await self._session.close()

    def _credentials(self) -> tuple[str, str]:
        if not self.secret:
            raise WeChatConfigError(40125, "CP_WECHAT_SECRET is not set")
        return self.appid, self.secret

    async def _send(self, method: str, path: str, params: dict[str, str] | None,
                    body: dict[str, Any] | None) -> dict[str, Any]:
        try:
            async with self._http().request(method, self.api_base + path, params=params, json=body) as resp:
                raw = await resp.read()
                status = resp.status
        except (aiohttp.ClientError, TimeoutError) as exc:  # never echo the URL: it holds the token
            raise WeChatUnavailable(-1, f"{path}: {type(exc).__name__}") from exc
        if status >= 500:
            raise WeChatUnavailable(-1, f"{path}: HTTP {status}")
        try:
            payload = json.loads(raw)
        except ValueError as exc:
            raise WeChatUnavailable(-1, f"{path}: reply is not JSON (HTTP {status})") from exc
        if not isinstance(payload, dict):
            raise WeChatUnavailable(-1, f"{path}: reply is not a JSON object")
        return payload

    async def _call(self, method: str, path: str, params: dict[str, str] | None = None,
                    body: dict[str, Any] | None = None) -> dict[str, Any]:
        """One API call; -1 is retried `busy_retries` times with exponential back-off."""
        for attempt in range(self.busy_retries + 1):
            payload = await self._send(method, path, params, body)
            if errcode_of(payload) == -1 and attempt < self.busy_retries:
                await asyncio.sleep(self.busy_backoff * 2 ** attempt)
                continue
            raise_for(payload)
            return payload
        raise AssertionError("unreachable")

    async def _call_with_token(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        token = await self.access_token()
        try:
            return await self._call("POST", path, {"access_token": token}, body)
        except InvalidToken:
            await self.tokens.invalidate(token)
            token = await self.access_token()
            return await self._call("POST", path, {"access_token": token}, body)

    async def _fetch_stable_token(self, force_refresh: bool) -> tuple[str, int]:
        appid, secret = self._credentials()
        payload = await self._call("POST", "/cgi-bin/stable_token", body={
            "grant_type": "client_credential", "appid": appid, "secret": secret, "force_refresh": force_refresh})
        token = payload.get("access_token")
        if not isinstance(token, str) or not token:
            raise WeChatUnavailable(-1, "stable_token: reply has no access_token")
        return token, int(payload.get("expires_in", 7200))

    # -- API ----------------------------------------------------------------------------
    async def access_token(self) -> str:
        """The shared access token (fetched by one worker when missing or expiring)."""
        return await self.tokens.get()

    async def code_to_session(self, code: str) -> WeChatSession:
        """Exchange a `wx.login()` code for the user's openid (and unionid, when bound)."""
        appid, secret = self._credentials()
        payload = await self._call("GET", "/sns/jscode2session", {
            "appid": appid, "secret": secret, "js_code": code, "grant_type": "authorization_code"})
        openid, session_key = payload.get("openid"), payload.get("session_key")
        if not isinstance(openid, str) or not openid or not isinstance(session_key, str) or not session_key:
            raise WeChatUnavailable(-1, "jscode2session: reply has no openid/session_key")
        unionid = payload.get("unionid")
        return WeChatSession(openid=openid, session_key=session_key,
                             unionid=unionid if isinstance(unionid, str) and unionid else None)

    async def get_phone_number(self, code: str) -> PhoneInfo:
        """The phone number behind a phone-button code (single use, 5 minutes)."""
        payload = await self._call_with_token("/wxa/business/getuserphonenumber", {"code": code})
        info = payload.get("phone_info")
        if not isinstance(info, dict) or not info.get("purePhoneNumber"):
            raise WeChatUnavailable(-1, "getuserphonenumber: reply has no phone_info")
        watermark = info.get("watermark") if isinstance(info.get("watermark"), dict) else {}
        if watermark.get("appid") not in (None, self.appid):
            raise WeChatDataError("phone_info.watermark.appid does not match this mini-program's appid")
        return PhoneInfo(phone_number=str(info.get("phoneNumber") or info["purePhoneNumber"]),
                         pure_phone_number=str(info["purePhoneNumber"]),
                         country_code=str(info.get("countryCode", "86")),  # a string in the docs, a number in examples
                         watermark_appid=watermark.get("appid"), watermark_timestamp=watermark.get("timestamp"))

    async def send_subscribe_message(self, openid: str, template_id: str, data: dict[str, Any], *,
                                     page: str | None = None, miniprogram_state: str = "formal",
                                     lang: str = "zh_CN") -> int | None:
        """Send one subscription message; `data` values may be plain or `{"value": …}`. Returns msgid."""
        body: dict[str, Any] = {
            "touser": openid, "template_id": template_id, "miniprogram_state": miniprogram_state, "lang": lang,
            "data": {k: v if isinstance(v, dict) else {"value": v} for k, v in data.items()},
        }
        if page is not None:
            body["page"] = page
        payload = await self._call_with_token("/cgi-bin/message/subscribe/send", body)
        msgid = payload.get("msgid")
        return int(msgid) if isinstance(msgid, int | str) and str(msgid).isdigit() else None

    async def check_content(self, openid: str, content: str, scene: int) -> ContentCheck:
        """msg_sec_check (version 2). Flagged content still has errcode 0: read `suggest`."""
        payload = await self._call_with_token("/wxa/msg_sec_check", {
            "version": 2, "openid": openid, "scene": scene, "content": content})
        result = payload.get("result") if isinstance(payload.get("result"), dict) else {}
        suggest = result.get("suggest")
        if suggest not in ("pass", "review", "risky"):
            raise WeChatUnavailable(-1, "msg_sec_check: reply has no result.suggest")
        return ContentCheck(suggest=suggest, label=int(result.get("label", 0)), trace_id=payload.get("trace_id"))
