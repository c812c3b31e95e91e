"""The fake WeChat server follows docs/wechat.md: raw HTTP against the fake app."""

from __future__ import annotations

import asyncio
import json
import re

import pytest
from click.testing import CliRunner

from community_plus.platform.testing import free_port
from community_plus.integrations.wechat import decrypt_legacy_phone
from community_plus.cli.wechat import _parse_phones, wechat
from community_plus_sandbox.wechat import (CODE_BUSY, CODE_RATE_LIMITED, CODE_RISKY_USER, FAKE_WECHAT,
                                           create_fake_wechat)
from community_plus_sandbox.wechat.runner import serve_fake_wechat
from wechat_fixtures import *  # noqa: F403  (fixtures)
from wechat_fixtures import APPID, SECRET, TEMPLATE

RID = re.compile(r" rid: [0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$")


@pytest.fixture
async def wx(aiohttp_client, fake_wechat_app):
    """A test client on the fake app, with `.fake` = its state."""
    c = await aiohttp_client(fake_wechat_app)
    c.fake = fake_wechat_app[FAKE_WECHAT]
    return c


async def _json(resp) -> dict:
    assert resp.status == 200
    return json.loads(await resp.text())


async def login(wx, code: str, appid: str = APPID, secret: str = SECRET, grant: str = "authorization_code") -> dict:
    return await _json(await wx.get("/sns/jscode2session",
                                    params={"appid": appid, "secret": secret, "js_code": code, "grant_type": grant}))


async def stable_token(wx, force: bool | None = None, **over) -> dict:
    body = {"grant_type": "client_credential", "appid": APPID, "secret": SECRET, **over}
    if force is not None:
        body["force_refresh"] = force
    return await _json(await wx.post("/cgi-bin/stable_token", json=body))


async def phone(wx, token: str, code: str) -> dict:
    return await _json(await wx.post("/wxa/business/getuserphonenumber", params={"access_token": token},
                                     json={"code": code}))


def assert_err(payload: dict, errcode: int) -> None:
    assert payload.get("errcode") == errcode, payload
    assert RID.search(payload["errmsg"]), payload["errmsg"]


# -- jscode2session ------------------------------------------------------------------------
async def test_login_gives_stable_openid_and_no_errcode(wx):
    first = await login(wx, wx.fake.issue_code("alice"))
    second = await login(wx, "user:alice:nonce-1")
    other = await login(wx, wx.fake.issue_code("bob"))
    assert "errcode" not in first and "unionid" not in first
    assert first["openid"] == second["openid"] == wx.fake.openid_of("alice") != other["openid"]
    assert first["session_key"] != second["session_key"]
    resp = await wx.get("/sns/jscode2session", params={"appid": APPID, "secret": SECRET, "js_code": "user:bob:x",
                                                        "grant_type": "authorization_code"})
    assert resp.content_type == "text/plain"  # as WeChat does: clients must parse JSON regardless


async def test_login_unionid_when_bound_to_open_platform(aiohttp_client):
    app = create_fake_wechat(APPID, SECRET, unionid=True)
    wx = await aiohttp_client(app)
    reply = await login(wx, "user:alice:1")
    assert reply["unionid"] == app[FAKE_WECHAT].user("alice").unionid


async def test_login_checks_app_credentials_and_grant(wx):
    assert_err(await login(wx, "user:alice:1", appid="wx0000000000000000"), 40013)
    assert_err(await login(wx, "user:alice:2", secret="wrong"), 40125)
    assert_err(await login(wx, "user:alice:3", grant="password"), 40002)


async def test_codes_are_single_use_and_expire(wx):
    code = wx.fake.issue_code("alice")
    await login(wx, code)
    assert_err(await login(wx, code), 40163)
    assert "openid" in await login(wx, "user:alice:n")
    assert_err(await login(wx, "user:alice:n"), 40163)
    stale = wx.fake.issue_code("alice")
    wx.fake.clock.advance(301)
    assert_err(await login(wx, stale), 40029)
    assert_err(await login(wx, "no-such-code"), 40029)
    assert_err(await login(wx, "phone:alice:n"), 40029)  # a phone code is not a login code


async def test_reserved_codes_always_fail(wx):
    for code, errcode in ((CODE_RISKY_USER, 40226), (CODE_RATE_LIMITED, 45011), (CODE_BUSY, -1)):
        assert_err(await login(wx, code), errcode)
        assert_err(await login(wx, code), errcode)  # never consumed


async def test_login_rate_limit_per_user(wx):
    for i in range(100):
        assert "openid" in await login(wx, f"user:carol:{i}")
    assert_err(await login(wx, "user:carol:100"), 45011)
    assert "openid" in await login(wx, "user:dave:1")  # per user
    wx.fake.clock.advance(61)
    assert "openid" in await login(wx, "user:carol:101")


async def test_injected_faults_and_call_counts(wx):
    wx.fake.fail_next("jscode2session", -1, times=2)
    assert_err(await login(wx, "user:alice:1"), -1)
    assert_err(await login(wx, "user:alice:1"), -1)
    assert "openid" in await login(wx, "user:alice:1")  # a faulted call does not consume the code
    assert wx.fake.calls["jscode2session"] == 3


# -- access tokens -----------------------------------------------------------------------------
async def test_stable_token_is_json_only(wx):
    resp = await wx.post("/cgi-bin/stable_token", data={"grant_type": "client_credential", "appid": APPID,
                                                         "secret": SECRET})
    assert_err(await _json(resp), 47001)
    resp = await wx.post("/cgi-bin/stable_token", data="{not json", headers={"Content-Type": "application/json"})
    assert_err(await _json(resp), 47001)
    assert_err(await stable_token(wx, secret="nope"), 40125)
    assert_err(await stable_token(wx, appid="wx0000000000000000"), 40013)
    assert_err(await stable_token(wx, grant_type="authorization_code"), 40002)


async def test_stable_token_normal_mode_returns_same_token_while_valid(wx):
    first = await stable_token(wx)
    assert first["expires_in"] == 7200 and "errcode" not in first
    wx.fake.clock.advance(100)
    again = await stable_token(wx, force=False)
    assert again["access_token"] == first["access_token"]
    assert 7090 <= again["expires_in"] <= 7100  # the remaining lifetime
    # In its last 5 minutes a new token is handed out; the old one works until it expires.
    wx.fake.clock.advance(6850)
    renewed = await stable_token(wx)
    assert renewed["access_token"] != first["access_token"] and renewed["expires_in"] == 7200
    assert (await phone(wx, first["access_token"], "bad"))["errcode"] == 40029  # token accepted, code not
    wx.fake.clock.advance(300)
    assert_err(await phone(wx, first["access_token"], "bad"), 42001)


async def test_force_refresh_invalidates_and_is_limited(wx):
    old = (await stable_token(wx))["access_token"]
    forced = await stable_token(wx, force=True)
    assert forced["access_token"] != old and forced["expires_in"] == 7200
    assert_err(await phone(wx, old, "x"), 40001)
    assert_err(await stable_token(wx, force="yes"), 40097)
    for _ in range(19):
        await stable_token(wx, force=True)
    assert_err(await stable_token(wx, force=True), 45009)
    wx.fake.clock.advance(86401)
    assert "access_token" in await stable_token(wx, force=True)


async def test_expired_token_is_42001_and_unknown_40001(wx):
    token = (await stable_token(wx))["access_token"]
    assert_err(await phone(wx, "not-a-token", "x"), 40001)
    resp = await wx.post("/wxa/business/getuserphonenumber", json={"code": "x"})
    assert_err(await _json(resp), 41001)
    wx.fake.clock.advance(7201)
    assert_err(await phone(wx, token, "x"), 42001)
    assert (await stable_token(wx))["access_token"] != token


async def test_cgi_bin_token_issues_new_tokens_with_grace(wx):
    params = {"grant_type": "client_credential", "appid": APPID, "secret": SECRET}
    first = await _json(await wx.get("/cgi-bin/token", params=params))
    second = await _json(await wx.get("/cgi-bin/token", params=params))
    assert first["access_token"] != second["access_token"] and second["expires_in"] == 7200
    assert (await phone(wx, first["access_token"], "x"))["errcode"] == 40029  # old token: 5-minute grace
    wx.fake.clock.advance(301)
    assert_err(await phone(wx, first["access_token"], "x"), 40001)
    assert_err(await _json(await wx.get("/cgi-bin/token", params={**params, "secret": "bad"})), 40125)


# -- phone numbers -----------------------------------------------------------------------------
async def test_phone_codes(wx):
    wx.fake.add_user("alice", phone="13812345678")
    token = (await stable_token(wx))["access_token"]
    code = wx.fake.issue_phone_code("alice")
    info = (await phone(wx, token, code))["phone_info"]
    assert info["purePhoneNumber"] == info["phoneNumber"] == "13812345678"
    assert info["countryCode"] == 86 and info["watermark"]["appid"] == APPID
    assert_err(await phone(wx, token, code), 40029)  # single use
    late = wx.fake.issue_phone_code("alice")
    wx.fake.clock.advance(301)
    token = (await stable_token(wx))["access_token"]
    assert_err(await phone(wx, token, late), 40029)
    assert (await phone(wx, token, "phone:alice:1"))["phone_info"]["purePhoneNumber"] == "13812345678"
    assert_err(await phone(wx, token, CODE_RATE_LIMITED), 45011)
    assert_err(await phone(wx, token, CODE_BUSY), -1)
    resp = await wx.post("/wxa/business/getuserphonenumber", params={"access_token": token}, data="code=1")
    assert_err(await _json(resp), 47001)
    with pytest.raises(ValueError):
        wx.fake.issue_phone_code("nobody")


async def test_legacy_encrypted_phone_round_trip(wx):
    wx.fake.add_user("alice", phone="13912345678")
    await login(wx, "user:alice:1")
    data, iv = wx.fake.encrypted_phone("alice")
    plain = decrypt_legacy_phone(wx.fake.user("alice").session_key, iv, data, APPID)
    assert plain["purePhoneNumber"] == "13912345678" and plain["watermark"]["appid"] == APPID


# -- subscription messages ---------------------------------------------------------------------
async def send(wx, token: str, **body) -> dict:
    return await _json(await wx.post("/cgi-bin/message/subscribe/send", params={"access_token": token}, json=body))


async def test_subscription_grants_are_one_time(wx):
    token = (await stable_token(wx))["access_token"]
    openid = wx.fake.openid_of("alice")
    data = {"thing1": {"value": "报修已受理"}, "phrase2": {"value": "处理中"}, "time3": {"value": "2026-11-27 10:00"}}
    assert_err(await send(wx, token, touser=openid, template_id=TEMPLATE, data=data), 43101)
    wx.fake.grant_subscription(openid, TEMPLATE)
    ok = await send(wx, token, touser=openid, template_id=TEMPLATE, data=data, page="pages/orders/detail?id=1",
                    miniprogram_state="trial")
    assert ok["errcode"] == 0 and RID.search(ok["errmsg"]) and ok["msgid"]
    assert_err(await send(wx, token, touser=openid, template_id=TEMPLATE, data=data), 43101)
    assert len(wx.fake.sent_messages) == 1
    msg = wx.fake.sent_messages[0]
    assert msg["touser"] == openid and msg["data"] == data and msg["miniprogram_state"] == "trial"


async def test_subscription_errors(aiohttp_client):
    app = create_fake_wechat(APPID, SECRET, templates={TEMPLATE: ["thing1", "number2"]}, pages={"pages/index/index"})
    wx = await aiohttp_client(app)
    fake = app[FAKE_WECHAT]
    token = (await stable_token(wx))["access_token"]
    openid = fake.openid_of("alice")
    fake.grant_subscription(openid, TEMPLATE, times=5)
    good = {"thing1": {"value": "你好"}, "number2": {"value": "3"}}
    assert_err(await send(wx, token, touser="o-unknown", template_id=TEMPLATE, data=good), 40003)
    assert_err(await send(wx, token, touser=openid, template_id="nope", data=good), 40037)
    assert_err(await send(wx, token, touser=openid, template_id=TEMPLATE, data={"thing1": {"value": "x"}}), 47003)
    assert_err(await send(wx, token, touser=openid, template_id=TEMPLATE,
                          data={**good, "thing1": {"value": "超" * 21}}), 47003)
    assert_err(await send(wx, token, touser=openid, template_id=TEMPLATE,
                          data={**good, "number2": {"value": "three"}}), 47003)
    assert_err(await send(wx, token, touser=openid, template_id=TEMPLATE, data=good, page="pages/missing"), 41030)
    assert_err(await send(wx, token, touser=openid, template_id=TEMPLATE, data=good, miniprogram_state="x"), 47003)
    assert (await send(wx, token, touser=openid, template_id=TEMPLATE, data=good, page="pages/index/index?a=1"))[
        "errcode"] == 0
    assert fake.grants_left(openid, TEMPLATE) == 4  # failed sends consume nothing


# -- content check -----------------------------------------------------------------------------
async def sec_check(wx, token: str, **body) -> dict:
    return await _json(await wx.post("/wxa/msg_sec_check", params={"access_token": token},
                                     json={"version": 2, **body}))


async def test_msg_sec_check(wx):
    token = (await stable_token(wx))["access_token"]
    await login(wx, "user:alice:1")
    openid = wx.fake.openid_of("alice")
    passed = await sec_check(wx, token, openid=openid, scene=2, content="楼道灯坏了，请尽快维修")
    assert passed["errcode"] == 0 and passed["result"] == {"suggest": "pass", "label": 100}
    risky = await sec_check(wx, token, openid=openid, scene=3, content="来赌博吧，还能代开发票")
    assert risky["errcode"] == 0 and risky["result"] == {"suggest": "risky", "label": 20006}
    assert {d.get("keyword") for d in risky["detail"]} >= {"赌博", "代开发票"}
    review = await sec_check(wx, token, openid=openid, scene=1, content="可以代开发票")
    assert review["result"]["suggest"] == "review"
    assert_err(await sec_check(wx, token, openid=openid, scene=5, content="x"), 40129)
    assert_err(await sec_check(wx, token, openid="o-unknown", scene=2, content="x"), 40003)
    assert_err(await sec_check(wx, token, openid=openid, scene=2, content="x" * 2501), 47003)
    assert_err(await _json(await wx.post("/wxa/msg_sec_check", params={"access_token": token},
                                         json={"version": 1, "openid": openid, "scene": 2, "content": "x"})), 40097)
    wx.fake.clock.advance(7201)
    token = (await stable_token(wx))["access_token"]
    assert_err(await sec_check(wx, token, openid=openid, scene=2, content="x"), 61010)


# -- helpers, runner, CLI ----------------------------------------------------------------------
async def test_fake_helper_endpoints(wx):
    minted = await (await wx.post("/_fake/code", params={"user": "erin"})).json()
    assert (await login(wx, minted["code"]))["openid"] == minted["openid"]
    await wx.post("/_fake/users", json={"name": "erin", "phone": "13700001111"})
    pcode = (await (await wx.post("/_fake/phone_code", params={"user": "erin"})).json())["code"]
    token = (await stable_token(wx))["access_token"]
    assert (await phone(wx, token, pcode))["phone_info"]["purePhoneNumber"] == "13700001111"
    granted = await (await wx.post("/_fake/grant", json={"user": "erin", "template_id": TEMPLATE})).json()
    assert granted["left"] == 1
    stale = wx.fake.issue_code("erin")
    await wx.post("/_fake/clock/advance", params={"seconds": "301"})
    assert_err(await login(wx, stale), 40029)
    assert await (await wx.get("/_fake/messages")).json() == []


async def test_runner_serves_until_stopped():
    stop = asyncio.Event()
    ready: list[str] = []
    port = free_port()
    task = asyncio.create_task(serve_fake_wechat(APPID, SECRET, port=port, phones={"alice": "13812345678"},
                                                 on_ready=ready.append, stop=stop))
    for _ in range(100):
        if ready:
            break
        await asyncio.sleep(0.01)
    import aiohttp

    async with aiohttp.ClientSession() as s:
        async with s.post(f"{ready[0]}/_fake/phone_code", params={"user": "alice"}) as resp:
            assert resp.status == 200 and (await resp.json())["code"]
    stop.set()
    await asyncio.wait_for(task, 5)


def test_cli_sandbox_command():
    result = CliRunner().invoke(wechat, ["sandbox", "--help"])
    assert result.exit_code == 0 and "--phone" in result.output
    assert _parse_phones(("alice=13812345678",)) == {"alice": "13812345678"}
    bad = CliRunner().invoke(wechat, ["sandbox", "--phone", "alice"])
    assert bad.exit_code != 0 and "NAME=PHONE" in bad.output
