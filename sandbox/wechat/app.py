"""The fake WeChat HTTP server: `create_fake_wechat(appid, secret)` builds an aiohttp app.

WeChat endpoints (docs/wechat.md) answer HTTP 200 with JSON, `errcode`/`errmsg` on error and
`rid: …` appended to every `errmsg`. Endpoints where WeChat takes JSON refuse anything else
with 47001. Helper endpoints under `/_fake/` let a developer arrange state over HTTP (mint
codes, grant subscriptions, move the clock, read sent messages); tests use the
`FakeWeChat` object directly (`app[FAKE_WECHAT]`).
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Callable
from typing import Any

from aiohttp import web

from .state import FakeWeChat, WeChatFault

FAKE_WECHAT = web.AppKey("fake_wechat", FakeWeChat)

Rule = Callable[[FakeWeChat, dict[str, Any]], dict[str, Any]]


def _rid() -> str:
    return f"{secrets.token_hex(4)}-{secrets.token_hex(4)}-{secrets.token_hex(4)}"


def _reply(payload: dict[str, Any], content_type: str = "application/json") -> web.Response:
    if "errmsg" in payload:
        payload = {**payload, "errmsg": f"{payload['errmsg']} rid: {_rid()}"}
    return web.Response(text=json.dumps(payload, ensure_ascii=False), content_type=content_type, charset="utf-8")


async def _json_body(request: web.Request) -> dict[str, Any]:
    if request.content_type != "application/json":
        raise WeChatFault(47001)
    try:
        body = json.loads(await request.text())
    except (ValueError, UnicodeDecodeError) as exc:
        raise WeChatFault(47001) from exc
    if not isinstance(body, dict):
        raise WeChatFault(47001)
    return body


def _endpoint(name: str, rule: Rule, *, body: str, token: bool = False,
              content_type: str = "application/json"):
    """Wrap a rule: count the call, apply injected delay/fault, parse input, render the reply.

    `body` is "query" (GET parameters) or "json" (a JSON object, else 47001).
    """

    async def handler(request: web.Request) -> web.Response:
        fake = request.app[FAKE_WECHAT]
        fake.calls[name] += 1
        if delay := fake.delays.get(name):
            await asyncio.sleep(delay)
        try:
            fake.take_fault(name)
            data: dict[str, Any] = dict(request.query) if body == "query" else await _json_body(request)
            if token:
                fake.check_token(request.query.get("access_token"))
            return _reply(rule(fake, data), content_type)
        except WeChatFault as fault:
            return _reply({"errcode": fault.errcode, "errmsg": fault.errmsg}, content_type)

    return handler


# -- /_fake helpers (not part of WeChat) -----------------------------------------------------
async def _mint_code(request: web.Request) -> web.Response:
    fake = request.app[FAKE_WECHAT]
    user = request.query.get("user", "")
    if not user:
        raise web.HTTPBadRequest(text="pass ?user=NAME")
    return web.json_response({"code": fake.issue_code(user), "openid": fake.openid_of(user)})


async def _mint_phone_code(request: web.Request) -> web.Response:
    fake = request.app[FAKE_WECHAT]
    try:
        return web.json_response({"code": fake.issue_phone_code(request.query.get("user", ""))})
    except ValueError as exc:
        raise web.HTTPBadRequest(text=str(exc)) from exc


async def _add_user(request: web.Request) -> web.Response:
    fake = request.app[FAKE_WECHAT]
    data = await request.json()
    u = fake.add_user(str(data["name"]), phone=data.get("phone"), country_code=str(data.get("countryCode", "86")))
    return web.json_response({"name": u.name, "openid": u.openid, "phone": u.phone})


async def _grant(request: web.Request) -> web.Response:
    fake = request.app[FAKE_WECHAT]
    data = await request.json()
    openid = data.get("openid") or fake.openid_of(str(data["user"]))
    fake.grant_subscription(openid, str(data["template_id"]), int(data.get("times", 1)))
    return web.json_response({"openid": openid, "left": fake.grants_left(openid, str(data["template_id"]))})


async def _messages(request: web.Request) -> web.Response:
    return web.json_response(request.app[FAKE_WECHAT].sent_messages)


async def _advance(request: web.Request) -> web.Response:
    fake = request.app[FAKE_WECHAT]
    fake.clock.advance(float(request.query.get("seconds", "0")))
    return web.json_response({"now": fake.clock.now()})


def create_fake_wechat(appid: str, secret: str, *, unionid: bool = False,
                       templates: dict[str, list[str]] | None = None,
                       flagged: dict[str, tuple[str, int]] | None = None,
                       pages: set[str] | None = None) -> web.Application:
    """An aiohttp app speaking the WeChat protocol for one mini-program (`appid`/`secret`).

    `unionid=True` behaves like an app bound to an open-platform account. `templates` maps
    subscription template ids to their keyword names (`{"TPL": ["thing1", "time2"]}`);
    `flagged` maps keywords to (suggest, label) for msg_sec_check; `pages` restricts the
    pages a subscription message may open.

    >>> app = create_fake_wechat("wx1234567890abcdef", "s3cret")
    >>> app[FAKE_WECHAT].openid_of("alice") == app[FAKE_WECHAT].openid_of("alice")
    True
    """
    fake = FakeWeChat(appid, secret, unionid=unionid, templates=templates, flagged=flagged, pages=pages)
    app = web.Application()
    app[FAKE_WECHAT] = fake
    r = app.router
    # jscode2session really answers with text/plain: clients must not rely on the content type.
    r.add_get("/sns/jscode2session", _endpoint("jscode2session", lambda f, d: f.jscode2session(d),
                                               body="query", content_type="text/plain"))
    r.add_post("/cgi-bin/stable_token", _endpoint("stable_token", lambda f, d: f.stable_token(d), body="json"))
    r.add_get("/cgi-bin/token", _endpoint("token", lambda f, d: f.token(d), body="query"))
    r.add_post("/wxa/business/getuserphonenumber",
               _endpoint("getuserphonenumber", lambda f, d: f.phone_number(d), body="json", token=True))
    r.add_post("/cgi-bin/message/subscribe/send",
               _endpoint("subscribe_send", lambda f, d: f.subscribe_send(d), body="json", token=True))
    r.add_post("/wxa/msg_sec_check", _endpoint("msg_sec_check", lambda f, d: f.msg_sec_check(d), body="json",
                                               token=True))
    r.add_post("/_fake/code", _mint_code)
    r.add_post("/_fake/phone_code", _mint_phone_code)
    r.add_post("/_fake/users", _add_user)
    r.add_post("/_fake/grant", _grant)
    r.add_get("/_fake/messages", _messages)
    r.add_post("/_fake/clock/advance", _advance)
    return app
