"""The fake WeChat server's in-memory state and protocol rules (docs/wechat.md).

Everything a test needs to arrange or inspect lives here: test users with stable openids,
login and phone codes, access tokens, one-time subscription grants, flagged keywords, the
messages sent, per-endpoint call counts, injected faults and a movable clock. The HTTP
layer (`app.py`) only parses requests and renders replies; the rules are in this module so
they read like the protocol.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import secrets
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from .clock import FakeClock

CODE_TTL = 300  # login and phone codes live 5 minutes
TOKEN_TTL = 7200
TOKEN_RENEW_WINDOW = 300  # stable_token (normal mode) hands out a new token in the last 5 minutes
TOKEN_GRACE = 300  # after /cgi-bin/token issues a new token the old one works 5 more minutes
FORCE_REFRESH_PER_DAY = 20
LOGINS_PER_MINUTE = 100  # jscode2session per user; above it WeChat answers 45011
ACTIVE_WINDOW = 7200  # msg_sec_check needs a user active in the last 2 hours
MAX_CONTENT = 2500

# Reserved codes: exchanging them always fails with the given errcode (never consumed).
CODE_RISKY_USER = "wx-fake-40226"
CODE_RATE_LIMITED = "wx-fake-45011"
CODE_BUSY = "wx-fake-busy"
RESERVED_CODES = {CODE_RISKY_USER: 40226, CODE_RATE_LIMITED: 45011, CODE_BUSY: -1}

ERRMSG = {
    -1: "system error",
    40001: "invalid credential, access_token is invalid or not latest",
    40002: "invalid grant_type",
    40003: "invalid openid",
    40013: "invalid appid",
    40029: "invalid code",
    40037: "invalid template_id",
    40097: "invalid args",
    40125: "invalid appsecret",
    40129: "invalid scene",
    40163: "code been used",
    40226: "high risk user, login blocked",
    41001: "access_token missing",
    41030: "invalid page",
    42001: "access_token expired",
    43101: "user refuse to accept the msg",
    45009: "reach max api daily quota limit",
    45011: "api minute-quota reach limit, mustslower, retry next minute",
    47001: "data format error",
    47003: "argument invalid!",
    61010: "user access expired",
}

# Subscription template keyword kinds and their value length limits (characters).
VALUE_LIMITS = {"thing": 20, "number": 32, "letter": 32, "symbol": 5, "character_string": 32, "time": 32,
                "date": 32, "amount": 32, "phone_number": 17, "car_number": 8, "name": 10, "phrase": 5}
STATES = ("developer", "trial", "formal")
LANGS = ("zh_CN", "en_US", "zh_HK", "zh_TW")
SCENES = (1, 2, 3, 4)
SUGGEST_RANK = {"pass": 0, "review": 1, "risky": 2}
SELF_DESCRIBING = re.compile(r"^(user|phone):([A-Za-z0-9_.-]{1,64}):[^:]{1,128}$")


class WeChatFault(Exception):
    """Raised inside the fake to answer with `{"errcode": ..., "errmsg": ...}`."""

    def __init__(self, errcode: int, detail: str = "") -> None:
        self.errcode = errcode
        base = ERRMSG.get(errcode, "error")
        self.errmsg = f"{base} {detail}".strip()
        super().__init__(self.errmsg)


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


@dataclass
class _Code:
    user: str
    issued_at: float
    used: bool = False


@dataclass
class _Token:
    value: str
    expires_at: float


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
        self._codes: dict[str, _Code] = {}
        self._phone_codes: dict[str, _Code] = {}
        self._used_self_describing: set[str] = set()
        self._grants: Counter[tuple[str, str]] = Counter()
        self._token: _Token | None = None
        self._older: list[_Token] = []  # previous tokens still inside their grace period
        self._retired: dict[str, float] = {}  # superseded token -> its natural expiry
        self._forced: deque[float] = deque()

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
        code = "0" + secrets.token_hex(15)
        self._codes[code] = _Code(name, self.clock.now())
        return code

    def issue_phone_code(self, name: str) -> str:
        """A phone code (the phone-number button's `e.detail.code`) for a user with a phone."""
        if not self.user(name).phone:
            raise ValueError(f"test user {name!r} has no phone: call add_user({name!r}, phone=...)")
        code = "p" + secrets.token_hex(15)
        self._phone_codes[code] = _Code(name, self.clock.now())
        return code

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
        return {"access_token": current.value, "expires_in": int(current.expires_at - now)}

    def token(self, query: dict[str, str]) -> dict[str, Any]:
        if query.get("grant_type") != "client_credential":
            raise WeChatFault(40002)
        self._check_app(query.get("appid"), query.get("secret"))
        now = self.clock.now()
        if self._token is not None:
            old = self._token
            self._older.append(_Token(old.value, min(old.expires_at, now + TOKEN_GRACE)))
        fresh = self._new_token(now)
        return {"access_token": fresh.value, "expires_in": TOKEN_TTL}

    def check_token(self, token: str | None) -> None:
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

    def phone_number(self, body: dict[str, Any]) -> dict[str, Any]:
        code = body.get("code")
        if not isinstance(code, str) or not code:
            raise WeChatFault(40029)
        if code in RESERVED_CODES and RESERVED_CODES[code] != 40226:
            raise WeChatFault(RESERVED_CODES[code])
        name = self._consume(code, self._phone_codes, prefix="phone", reuse_errcode=40029)
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
        self._check_template_data(keys, body.get("data"))
        if self._grants[(touser, template_id)] <= 0:
            raise WeChatFault(43101)
        self._grants[(touser, template_id)] -= 1
        msgid = secrets.randbelow(10**18)
        self.sent_messages.append({"touser": touser, "template_id": template_id, "page": page,
                                   "data": body["data"], "miniprogram_state": state, "lang": lang,
                                   "msgid": msgid, "at": self.clock.now()})
        return {"errcode": 0, "errmsg": "ok", "msgid": msgid}

    def msg_sec_check(self, body: dict[str, Any]) -> dict[str, Any]:
        if body.get("version") != 2:
            raise WeChatFault(40097, "version must be 2")
        openid = body.get("openid")
        user = next((u for u in self.users.values() if u.openid == openid), None)
        if user is None:
            raise WeChatFault(40003)
        scene = body.get("scene")
        if scene not in SCENES or isinstance(scene, bool):
            raise WeChatFault(40129)
        content = body.get("content")
        if not isinstance(content, str) or not content:
            raise WeChatFault(47003, "content is empty")
        if len(content) > MAX_CONTENT:
            raise WeChatFault(47003, f"content longer than {MAX_CONTENT} characters")
        if user.last_login is None or self.clock.now() - user.last_login > ACTIVE_WINDOW:
            raise WeChatFault(61010)
        detail: list[dict[str, Any]] = [{"strategy": "content_model", "errcode": 0, "suggest": "pass",
                                         "label": 100, "prob": 90}]
        suggest, label = "pass", 100
        for keyword, (kw_suggest, kw_label) in self.flagged.items():
            if keyword in content:
                detail.append({"strategy": "keyword", "errcode": 0, "suggest": kw_suggest, "label": kw_label,
                               "level": 20, "keyword": keyword})
                if SUGGEST_RANK[kw_suggest] > SUGGEST_RANK[suggest]:
                    suggest, label = kw_suggest, kw_label
        return {"errcode": 0, "errmsg": "ok", "result": {"suggest": suggest, "label": label},
                "detail": detail, "trace_id": secrets.token_hex(12)}

    # -- internals ----------------------------------------------------------------------
    def _check_app(self, appid: Any, secret: Any) -> None:
        if appid != self.appid:
            raise WeChatFault(40013)
        if secret != self.secret:
            raise WeChatFault(40125)

    def _consume_login_code(self, code: str) -> str:
        if code in RESERVED_CODES:
            raise WeChatFault(RESERVED_CODES[code])
        return self._consume(code, self._codes, prefix="user", reuse_errcode=40163)

    def _consume(self, code: str, minted: dict[str, _Code], prefix: str, reuse_errcode: int) -> str:
        """Mark a code used and return its user: minted codes expire, `user:NAME:NONCE` codes don't."""
        found = minted.get(code)
        if found is not None:
            if found.used:
                raise WeChatFault(reuse_errcode)
            if self.clock.now() - found.issued_at > CODE_TTL:
                raise WeChatFault(40029, "(code expired)")
            found.used = True
            return found.user
        m = SELF_DESCRIBING.match(code)
        if m is None or m.group(1) != prefix:
            raise WeChatFault(40029)
        if code in self._used_self_describing:
            raise WeChatFault(reuse_errcode)
        self._used_self_describing.add(code)
        return m.group(2)

    def _phone_info(self, user: FakeUser) -> dict[str, Any]:
        pure = user.phone or ""
        full = pure if user.country_code == "86" else f"+{user.country_code}{pure}"
        cc: int | str = int(user.country_code) if self.country_code_as_number else user.country_code
        return {"phoneNumber": full, "purePhoneNumber": pure, "countryCode": cc}

    def _new_token(self, now: float) -> _Token:
        if self._token is not None:
            self._retired[self._token.value] = self._token.expires_at
        self._token = _Token("ACCESS_TOKEN_" + secrets.token_urlsafe(48), now + TOKEN_TTL)
        self._older = [t for t in self._older if t.expires_at > now]
        return self._token

    def _retire_all(self) -> None:
        """Forced refresh: every earlier token answers 40001 from now on (42001 once expired)."""
        for t in [self._token, *self._older]:
            if t is not None:
                self._retired[t.value] = t.expires_at
        self._token, self._older = None, []

    @staticmethod
    def _check_template_data(keys: list[str], data: Any) -> None:
        if not isinstance(data, dict):
            raise WeChatFault(47003, "data must be an object")
        for key in keys:
            entry = data.get(key)
            value = entry.get("value") if isinstance(entry, dict) else None
            if not isinstance(value, str | int | float) or isinstance(value, bool) or str(value) == "":
                raise WeChatFault(47003, f"data.{key}.value is empty")
            kind = re.sub(r"\d+$", "", key)
            limit = VALUE_LIMITS.get(kind)
            if limit is not None and len(str(value)) > limit:
                raise WeChatFault(47003, f"data.{key}.value invalid")
            if kind == "number" and not re.fullmatch(r"\d+(\.\d+)?", str(value)):
                raise WeChatFault(47003, f"data.{key}.value invalid")
            if kind == "phrase" and not re.fullmatch(r"[\u3400-\u4dbf\u4e00-\u9fff]+", str(value)):
                raise WeChatFault(47003, f"data.{key}.value invalid")  # a phrase is Chinese characters only
