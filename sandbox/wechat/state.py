"""The fake WeChat server's in-memory state and protocol rules (docs/wechat.md).

Everything a test needs to arrange or inspect lives here: test users with stable openids,
login and phone codes, access tokens, one-time subscription grants, flagged keywords, the
messages sent, per-endpoint call counts, injected faults and a movable clock. The HTTP
layer (`app.py`) only parses requests and renders replies; the rules are in this module so
they read like the protocol. The protocol's parts have their own modules: `faults`
(errcodes), `codes` (login and phone codes), `tokens` (access tokens), `subscriptions`
(message bodies), `content_security` (msg_sec_check).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from .clock import FakeClock
from .codes import CODE_BUSY, CODE_RATE_LIMITED, CODE_RISKY_USER, CODE_TTL, RESERVED_CODES, SELF_DESCRIBING, CodeBook
from .content_security import ACTIVE_WINDOW, MAX_CONTENT, SCENES, SUGGEST_RANK, check_content
from .faults import ERRMSG, WeChatFault
from .subscriptions import LANGS, STATES, VALUE_LIMITS, check_template_data
from .tokens import FORCE_REFRESH_PER_DAY, TOKEN_GRACE, TOKEN_RENEW_WINDOW, TOKEN_TTL, AccessTokens

# what this module defined before its protocol parts got modules of their own stays importable here
__all__ = ["ACTIVE_WINDOW", "CODE_BUSY", "CODE_RATE_LIMITED", "CODE_RISKY_USER", "CODE_TTL", "ERRMSG",
           "FORCE_REFRESH_PER_DAY", "LANGS", "LOGINS_PER_MINUTE", "MAX_CONTENT", "RESERVED_CODES", "SCENES",
           "SELF_DESCRIBING", "STATES", "SUGGEST_RANK", "TOKEN_GRACE", "TOKEN_RENEW_WINDOW", "TOKEN_TTL", "VALUE_LIMITS",
           "FakeUser", "FakeWeChat", "WeChatFault"]

LOGINS_PER_MINUTE = 100  # jscode2session per user; above it WeChat answers 45011


@dataclass
class FakeUser:
    """A test user: `openid` is derived from the name (stable across runs)."""

    name: str
    openid: str
    unionid: str
    phone: str | None = None
    country_code: str = "86"
    session_key: str | None = None
    last_login: float | None = None
    logins: deque[float] = field(default_factory=deque)


def _derive(prefix: str, *parts: str, length: int = 27) -> str:
    digest = hashlib.sha256(":".join(parts).encode()).digest()
    return prefix + base64.urlsafe_b64encode(digest).decode()[:length]


class FakeWeChat:
    """State and rules of the fake; one instance per fake app (`app[FAKE_WECHAT]`)."""

    def __init__(self, appid: str, secret: str, *, unionid: bool = False,
                 templates: dict[str, list[str]] | None = None,
                 flagged: dict[str, tuple[str, int]] | None = None,
                 pages: set[str] | None = None, clock: FakeClock | None = None) -> None:
        self.appid = appid
        self.secret = secret
        self.unionid = unionid
        self.clock = clock or FakeClock()
        self.templates: dict[str, list[str]] = dict(templates or {})
        self.flagged: dict[str, tuple[str, int]] = dict(flagged or {})
        self.pages = pages  # None: any page is accepted
        self.country_code_as_number = True  # phone_info.countryCode: 86 (examples) or "86" (docs)
        self.users: dict[str, FakeUser] = {}
        self.sent_messages: list[dict[str, Any]] = []
        self.calls: Counter[str] = Counter()
        self.delays: dict[str, float] = {}
        self._faults: dict[str, list[int]] = {}
        self._login_codes = CodeBook(self.clock, "user", "0", reuse_errcode=40163)
        self._phone_codes = CodeBook(self.clock, "phone", "p", reuse_errcode=40029)
        self._grants: Counter[tuple[str, str]] = Counter()
        self.tokens = AccessTokens(self.clock)

    # -- arranging a test ---------------------------------------------------------------
    def user(self, name: str) -> FakeUser:
        """The test user called `name`, created on first use."""
        found = self.users.get(name)
        if found is None:
            found = self.users[name] = FakeUser(
                name=name, openid=_derive("o", self.appid, name), unionid=_derive("ou", "open-platform", name))
        return found

    def add_user(self, name: str, phone: str | None = None, country_code: str = "86") -> FakeUser:
        u = self.user(name)
        u.phone, u.country_code = phone, country_code
        return u

    def openid_of(self, name: str) -> str:
        return self.user(name).openid

    def issue_code(self, name: str) -> str:
        """A login code for `name`, as `wx.login()` would return it (single use, 5 minutes)."""
        self.user(name)
        return self._login_codes.issue(name)

    def issue_phone_code(self, name: str) -> str:
        """A phone code (the phone-number button's `e.detail.code`) for a user with a phone."""
        if not self.user(name).phone:
            raise ValueError(f"test user {name!r} has no phone: call add_user({name!r}, phone=...)")
        return self._phone_codes.issue(name)

    def grant_subscription(self, openid: str, template_id: str, times: int = 1) -> None:
        """The user accepted `template_id` in wx.requestSubscribeMessage `times` times."""
        self._grants[(openid, template_id)] += times

    def grants_left(self, openid: str, template_id: str) -> int:
        return self._grants[(openid, template_id)]

    def add_template(self, template_id: str, keys: list[str]) -> None:
        self.templates[template_id] = list(keys)

    def flag(self, keyword: str, suggest: str = "risky", label: int = 20006) -> None:
        if suggest not in ("review", "risky"):
            raise ValueError("suggest must be 'review' or 'risky'")
        self.flagged[keyword] = (suggest, label)

    def fail_next(self, endpoint: str, errcode: int, times: int = 1) -> None:
        """Make the next `times` calls of `endpoint` (e.g. "jscode2session") answer `errcode`."""
        self._faults.setdefault(endpoint, []).extend([errcode] * times)

    def encrypt_for(self, name: str, payload: dict[str, Any]) -> tuple[str, str]:
        """Legacy encrypted data for `name`'s current session_key: (encryptedData, iv), base64."""
        user = self.user(name)
        if not user.session_key:
            raise ValueError(f"test user {name!r} has no session_key yet: log in first")
        iv = os.urandom(16)
        padder = padding.PKCS7(128).padder()
        plain = padder.update(json.dumps(payload, ensure_ascii=False).encode()) + padder.finalize()
        enc = Cipher(algorithms.AES(base64.b64decode(user.session_key)), modes.CBC(iv)).encryptor()
        data = enc.update(plain) + enc.finalize()
        return base64.b64encode(data).decode(), base64.b64encode(iv).decode()

    def encrypted_phone(self, name: str, appid: str | None = None) -> tuple[str, str]:
        """What the legacy getPhoneNumber button delivered: encrypted phone_info for `name`."""
        user = self.user(name)
        if not user.phone:
            raise ValueError(f"test user {name!r} has no phone")
        return self.encrypt_for(name, {**self._phone_info(user), "watermark": {
            "timestamp": int(self.clock.now()), "appid": appid or self.appid}})

    # -- endpoints ----------------------------------------------------------------------
    def take_fault(self, endpoint: str) -> None:
        queue = self._faults.get(endpoint)
        if queue:
            raise WeChatFault(queue.pop(0))

    def jscode2session(self, query: dict[str, str]) -> dict[str, Any]:
        self._check_app(query.get("appid"), query.get("secret"))
        if query.get("grant_type") != "authorization_code":
            raise WeChatFault(40002)
        code = query.get("js_code") or ""
        name = self._consume_login_code(code)
        user = self.user(name)
        now = self.clock.now()
        while user.logins and user.logins[0] <= now - 60:
            user.logins.popleft()
        if len(user.logins) >= LOGINS_PER_MINUTE:
            raise WeChatFault(45011)
        user.logins.append(now)
        user.last_login = now
        user.session_key = base64.b64encode(os.urandom(16)).decode()
        reply: dict[str, Any] = {"session_key": user.session_key, "openid": user.openid}
        if self.unionid:
            reply["unionid"] = user.unionid
        return reply

    def stable_token(self, body: dict[str, Any]) -> dict[str, Any]:
        if body.get("grant_type") != "client_credential":
            raise WeChatFault(40002)
        self._check_app(body.get("appid"), body.get("secret"))
        force = body.get("force_refresh", False)
        if not isinstance(force, bool):
            raise WeChatFault(40097, "force_refresh must be a boolean")
        token, expires_in = self.tokens.stable(force)
        return {"access_token": token, "expires_in": expires_in}

    def token(self, query: dict[str, str]) -> dict[str, Any]:
        if query.get("grant_type") != "client_credential":
            raise WeChatFault(40002)
        self._check_app(query.get("appid"), query.get("secret"))
        return {"access_token": self.tokens.fresh().value, "expires_in": TOKEN_TTL}

    def check_token(self, token: str | None) -> None:
        """40001 for unknown or superseded tokens, 42001 for expired ones, 41001 when missing."""
        self.tokens.check(token)

    def phone_number(self, body: dict[str, Any]) -> dict[str, Any]:
        code = body.get("code")
        if not isinstance(code, str) or not code:
            raise WeChatFault(40029)
        if code in RESERVED_CODES and RESERVED_CODES[code] != 40226:
            raise WeChatFault(RESERVED_CODES[code])
        name = self._phone_codes.consume(code)
        user = self.user(name)
        if not user.phone:
            raise WeChatFault(40029, "(test user has no phone)")
        return {"phone_info": {**self._phone_info(user),
                               "watermark": {"timestamp": int(self.clock.now()), "appid": self.appid}}}

    def subscribe_send(self, body: dict[str, Any]) -> dict[str, Any]:
        touser = body.get("touser")
        if not isinstance(touser, str) or touser not in {u.openid for u in self.users.values()}:
            raise WeChatFault(40003)
        template_id = body.get("template_id")
        keys = self.templates.get(template_id) if isinstance(template_id, str) else None
        if keys is None:
            raise WeChatFault(40037)
        page = body.get("page")
        if page is not None and (not isinstance(page, str)
                                 or (self.pages is not None and page.split("?")[0] not in self.pages)):
            raise WeChatFault(41030)
        state = body.get("miniprogram_state", "formal")
        if state not in STATES:
            raise WeChatFault(47003, "miniprogram_state invalid")
        lang = body.get("lang", "zh_CN")
        if lang not in LANGS:
            raise WeChatFault(47003, "lang invalid")
        check_template_data(keys, body.get("data"))
        if self._grants[(touser, template_id)] <= 0:
            raise WeChatFault(43101)
        self._grants[(touser, template_id)] -= 1
        msgid = secrets.randbelow(10**18)
        self.sent_messages.append({"touser": touser, "template_id": template_id, "page": page,
                                   "data": body["data"], "miniprogram_state": state, "lang": lang,
                                   "msgid": msgid, "at": self.clock.now()})
        return {"errcode": 0, "errmsg": "ok", "msgid": msgid}

    def msg_sec_check(self, body: dict[str, Any]) -> dict[str, Any]:
        user = next((u for u in self.users.values() if u.openid == body.get("openid")), None)
        return check_content(body, user is not None, user.last_login if user else None, self.clock.now(), self.flagged)

    # -- internals ----------------------------------------------------------------------
    def _check_app(self, appid: Any, secret: Any) -> None:
        if appid != self.appid:
            raise WeChatFault(40013)
        if secret != self.secret:
            raise WeChatFault(40125)

    def _consume_login_code(self, code: str) -> str:
        if code in RESERVED_CODES:
            raise WeChatFault(RESERVED_CODES[code])
        return self._login_codes.consume(code)

    def _phone_info(self, user: FakeUser) -> dict[str, Any]:
        pure = user.phone or ""
        full = pure if user.country_code == "86" else f"+{user.country_code}{pure}"
        cc: int | str = int(user.country_code) if self.country_code_as_number else user.country_code
        return {"phoneNumber": full, "purePhoneNumber": pure, "countryCode": cc}
