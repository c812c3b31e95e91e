"""The WeChat client against the fake server, with the token cache in a real SecantusDB."""

from __future__ import annotations

import asyncio
import base64
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp import web

from community_plus.platform.testing import free_port
from community_plus.integrations.wechat import (CodeUsed, InvalidArguments, InvalidCode, InvalidOpenid,
    InvalidPage, InvalidScene, InvalidTemplate, InvalidToken, NotSubscribed, RiskyUser, UserInactive,
    WeChatBusy, WeChatConfigError, WeChatDataError, WeChatError, WeChatRateLimited, WeChatUnavailable,
    decrypt_legacy_phone)
from community_plus.integrations.wechat.errors import raise_for
from community_plus_sandbox.wechat import CODE_BUSY, CODE_RATE_LIMITED, CODE_RISKY_USER
from wechat_fixtures import *  # noqa: F403  (fixtures)
from wechat_fixtures import APPID, TEMPLATE

# The sample published in WeChat's documentation (the WXBizDataCrypt demos carry it too).
VECTOR_APPID = "wx4f4bc4dec97d474b"
VECTOR_SESSION_KEY = "tiihtNczf5v6AKRyjwEUhQ=="
VECTOR_IV = "r7BXXKkLb8qrSNn05n0qiA=="
VECTOR_DATA = (
    "CiyLU1Aw2KjvrjMdj8YKliAjtP4gsMZMQmRzooG2xrDcvSnxIMXFufNstNGTyaGS9uT5geRa0W4oTOb1WT7fJlAC+oNPdbB+3hVbJSRg"
    "v+4lGOETKUQz6OYStslQ142dNCuabNPGBzlooOmB231qMM85d2/fV6ChevvXvQP8Hkue1poOFtnEtpyxVLW1zAo6/1Xx1COxFvrc2d7U"
    "L/lmHInNlxuacJXwu0fjpXfz/YqYzBIBzD6WUfTIF9GRHpOn/Hz7saL8xz+W//FRAUid1OksQaQx4CMs8LOddcQhULW4ucetDf96JcR3"
    "g0gfRK4PC7E/r7Z6xNrXd2UIeorGj5Ef7b1pJAYB6Y5anaHqZ9J6nKEBvB4DnNLIVWSgARns/8wR2SiRS7MNACwTyrGvt9ts8p12PKFd"
    "lqYTopNHR1Vf7XjfhQlVsAJdNiKdYmYVoKlaRv85IfVunYzO0IKXsyl7JCUjCpoG20f0a04COwfneQAGGwd5oa+T8yO5hzuyDb/XcxxmK"
    "01EpqOyuxINew=="
)


# -- legacy decryption -------------------------------------------------------------------------
def test_decrypts_the_documented_vector():
    data = decrypt_legacy_phone(VECTOR_SESSION_KEY, VECTOR_IV, VECTOR_DATA, VECTOR_APPID)
    assert data["openId"] == "oGZUI0egBJY1zhBYw2KhdUfwVJJE"
    assert data["watermark"]["appid"] == VECTOR_APPID


def test_decryption_rejects_other_appids_and_bad_input():
    with pytest.raises(WeChatDataError, match="watermark"):
        decrypt_legacy_phone(VECTOR_SESSION_KEY, VECTOR_IV, VECTOR_DATA, APPID)
    wrong_key = base64.b64encode(b"0123456789abcdef").decode()
    with pytest.raises(WeChatDataError, match="stale session_key"):
        decrypt_legacy_phone(wrong_key, VECTOR_IV, VECTOR_DATA, VECTOR_APPID)
    with pytest.raises(WeChatDataError, match="16 bytes"):
        decrypt_legacy_phone(VECTOR_SESSION_KEY, base64.b64encode(b"short").decode(), VECTOR_DATA, VECTOR_APPID)
    with pytest.raises(WeChatDataError, match="base64"):
        decrypt_legacy_phone(VECTOR_SESSION_KEY, VECTOR_IV, "***", VECTOR_APPID)
    with pytest.raises(WeChatDataError, match="block size"):
        decrypt_legacy_phone(VECTOR_SESSION_KEY, VECTOR_IV, base64.b64encode(b"x" * 20).decode(), VECTOR_APPID)


def test_errcode_only_decides():
    raise_for({"openid": "o1"})  # missing errcode = success
    raise_for({"errcode": 0, "errmsg": "ok rid: 1-2-3"})
    with pytest.raises(CodeUsed) as info:
        raise_for({"errcode": 40163, "errmsg": "invalid code rid: 1-2-3"})  # errmsg text is irrelevant
    assert info.value.errcode == 40163
    with pytest.raises(WeChatError) as other:
        raise_for({"errcode": 99999, "errmsg": "new"})
    assert type(other.value) is WeChatError


# -- jscode2session -----------------------------------------------------------------------------
async def test_code_to_session(make_client, fake):
    client = make_client()
    session = await client.code_to_session(fake.issue_code("alice"))
    assert session.openid == fake.openid_of("alice") and session.unionid is None
    assert session.session_key == fake.user("alice").session_key
    assert session.session_key not in repr(session)
    fake.unionid = True
    assert (await client.code_to_session("user:alice:2")).unionid == fake.user("alice").unionid


@pytest.mark.parametrize("code,error", [
    ("no-such-code", InvalidCode), (CODE_RISKY_USER, RiskyUser), (CODE_RATE_LIMITED, WeChatRateLimited),
])
async def test_login_errors_are_typed(make_client, code, error):
    with pytest.raises(error):
        await make_client().code_to_session(code)


async def test_used_and_expired_codes(make_client, fake):
    client = make_client()
    code = fake.issue_code("alice")
    await client.code_to_session(code)
    with pytest.raises(CodeUsed):
        await client.code_to_session(code)
    late = fake.issue_code("alice")
    fake.clock.advance(301)
    with pytest.raises(InvalidCode):
        await client.code_to_session(late)


async def test_busy_is_retried_with_bounded_backoff(make_client, fake):
    client = make_client(busy_retries=2)
    fake.fail_next("jscode2session", -1, times=2)
    assert (await client.code_to_session("user:alice:1")).openid == fake.openid_of("alice")
    assert fake.calls["jscode2session"] == 3
    with pytest.raises(WeChatBusy):
        await client.code_to_session(CODE_BUSY)
    assert fake.calls["jscode2session"] == 6  # 1 + 2 retries, then give up


async def test_bad_credentials_are_config_errors(make_client):
    with pytest.raises(WeChatConfigError) as info:
        await make_client(secret="wrong").code_to_session("user:alice:1")
    assert info.value.errcode == 40125
    with pytest.raises(WeChatConfigError):
        await make_client(appid="wx0000000000000000").access_token()
    with pytest.raises(WeChatConfigError, match="CP_WECHAT_SECRET"):
        await make_client(secret=None).code_to_session("user:alice:1")


async def test_unreachable_and_garbage_replies(make_client, aiohttp_server):
    with pytest.raises(WeChatUnavailable):
        await make_client(api_base=f"http://127.0.0.1:{free_port()}").code_to_session("user:alice:1")

    async def html(request: web.Request) -> web.Response:
        return web.Response(text="<html>gateway</html>", status=502 if "token" in request.path else 200)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", html)
    server = await aiohttp_server(app)
    broken = make_client(api_base=str(server.make_url("")).rstrip("/"))
    with pytest.raises(WeChatUnavailable, match="not JSON"):
        await broken.code_to_session("user:alice:1")
    with pytest.raises(WeChatUnavailable, match="HTTP 502"):
        await broken.access_token()


# -- access token: shared, leased --------------------------------------------------------------
async def test_token_is_cached_in_mongodb(make_client, fake, mongo_db):
    client = make_client()
    first = await client.access_token()
    assert await client.access_token() == first
    assert fake.calls["stable_token"] == 1
    doc = await mongo_db["wechat_tokens"].find_one({"_id": APPID})
    assert doc["token"] == first and "leaseOwner" not in doc
    assert doc["expiresAt"] - datetime.now(UTC) > timedelta(seconds=7000)
    assert await make_client().access_token() == first  # another worker reuses it
    assert fake.calls["stable_token"] == 1


async def test_two_workers_fetch_exactly_once(make_client, fake):
    fake.delays["stable_token"] = 0.2  # the winner is still fetching while the other asks
    a, b = make_client(), make_client()
    tokens = await asyncio.gather(a.access_token(), b.access_token(), *(c.access_token() for c in (a, b) * 4))
    assert len(set(tokens)) == 1
    assert fake.calls["stable_token"] == 1


async def test_expiring_token_is_refreshed_once(make_client, fake, mongo_db):
    a, b = make_client(), make_client()
    old = await a.access_token()
    await mongo_db["wechat_tokens"].update_one(
        {"_id": APPID}, {"$set": {"expiresAt": datetime.now(UTC) + timedelta(seconds=60)}})  # inside the margin
    fake.clock.advance(7200 - 60)  # WeChat agrees: the token is in its last minutes
    fresh = await asyncio.gather(a.access_token(), b.access_token())
    assert fresh[0] == fresh[1] != old
    assert fake.calls["stable_token"] == 2


async def test_dead_workers_lease_is_taken_over(make_client, fake, mongo_db):
    lease_until = datetime.now(UTC) + timedelta(seconds=0.3)
    await mongo_db["wechat_tokens"].insert_one(
        {"_id": APPID, "leaseOwner": "crashed-worker", "leaseUntil": lease_until})
    client = make_client()
    token = await client.access_token()
    # It waited for the lease to lapse (measured against the lease itself, not against a start
    # time taken after the insert, which a loaded machine can push close to the lease's end).
    assert datetime.now(UTC) >= lease_until
    assert token and fake.calls["stable_token"] == 1
    doc = await mongo_db["wechat_tokens"].find_one({"_id": APPID})
    assert doc["token"] == token and "leaseOwner" not in doc


async def test_failed_fetch_releases_the_lease(make_client, fake, mongo_db):
    client = make_client(busy_retries=0)
    fake.fail_next("stable_token", -1)
    with pytest.raises(WeChatBusy):
        await client.access_token()
    assert "leaseOwner" not in await mongo_db["wechat_tokens"].find_one({"_id": APPID})
    assert await client.access_token()


async def test_expired_token_is_replaced_and_the_call_retried(make_client, fake):
    fake.add_user("alice", phone="13812345678")
    client = make_client()
    await client.access_token()
    fake.clock.advance(7300)  # WeChat says 42001; our cache still believes the token is valid
    info = await client.get_phone_number(fake.issue_phone_code("alice"))
    assert info.pure_phone_number == "13812345678"
    assert fake.calls["stable_token"] == 2 and fake.calls["getuserphonenumber"] == 2


async def test_token_refused_but_still_current_forces_refresh(make_client, fake):
    fake.add_user("alice", phone="13812345678")
    client = make_client()
    old = await client.access_token()
    fake.fail_next("getuserphonenumber", 40001)  # WeChat refuses the token it still considers current
    info = await client.get_phone_number(fake.issue_phone_code("alice"))
    assert info.pure_phone_number == "13812345678"
    new = await client.access_token()
    assert new != old  # normal mode returned the refused token again, so the client forced a new one
    assert fake.calls["stable_token"] == 3


async def test_token_errors_retry_only_once(make_client, fake):
    client = make_client()
    fake.fail_next("getuserphonenumber", 42001, times=2)
    with pytest.raises(InvalidToken):
        await client.get_phone_number("phone:alice:1")
    assert fake.calls["getuserphonenumber"] == 2


async def test_force_refresh_quota_is_rate_limited(make_client, fake):
    client = make_client()
    fake.fail_next("stable_token", 45009)
    with pytest.raises(WeChatRateLimited) as info:
        await client.access_token()
    assert info.value.errcode == 45009


# -- phone, messages, content -------------------------------------------------------------------
@pytest.mark.parametrize("as_number", [True, False])
async def test_phone_number_country_code_number_or_string(make_client, fake, as_number):
    fake.country_code_as_number = as_number
    fake.add_user("alice", phone="13812345678")
    info = await make_client().get_phone_number(fake.issue_phone_code("alice"))
    assert info.country_code == "86" and info.phone_number == "13812345678"
    assert info.watermark_appid == APPID


async def test_phone_code_errors(make_client, fake):
    client = make_client()
    fake.add_user("alice", phone="13812345678")
    code = fake.issue_phone_code("alice")
    await client.get_phone_number(code)
    with pytest.raises(InvalidCode):
        await client.get_phone_number(code)
    with pytest.raises(WeChatRateLimited):
        await client.get_phone_number(CODE_RATE_LIMITED)
    with pytest.raises(WeChatBusy):
        await client.get_phone_number(CODE_BUSY)


async def test_subscribe_messages(make_client, fake):
    client = make_client()
    openid = fake.openid_of("alice")
    data = {"thing1": "您的报修已受理", "phrase2": "处理中", "time3": {"value": "2026-11-27 10:00"}}
    with pytest.raises(NotSubscribed):
        await client.send_subscribe_message(openid, TEMPLATE, data)
    fake.grant_subscription(openid, TEMPLATE)
    msgid = await client.send_subscribe_message(openid, TEMPLATE, data, page="pages/orders/detail?id=1")
    assert msgid == fake.sent_messages[0]["msgid"]
    assert fake.sent_messages[0]["data"]["thing1"] == {"value": "您的报修已受理"}
    fake.grant_subscription(openid, TEMPLATE, times=3)
    with pytest.raises(InvalidOpenid):
        await client.send_subscribe_message("o-nobody", TEMPLATE, data)
    with pytest.raises(InvalidTemplate):
        await client.send_subscribe_message(openid, "TPL_NOPE", data)
    with pytest.raises(InvalidArguments):
        await client.send_subscribe_message(openid, TEMPLATE, {"thing1": "x"})
    fake.pages = {"pages/index/index"}
    with pytest.raises(InvalidPage):
        await client.send_subscribe_message(openid, TEMPLATE, data, page="pages/gone")
    assert len(fake.sent_messages) == 1


async def test_content_check(make_client, fake):
    client = make_client()
    openid = (await client.code_to_session("user:alice:1")).openid
    assert (await client.check_content(openid, "楼道灯坏了", 2)).passed
    risky = await client.check_content(openid, "一起赌博", 3)
    assert (risky.suggest, risky.label, risky.passed) == ("risky", 20006, False)
    assert (await client.check_content(openid, "代开发票", 1)).suggest == "review"
    with pytest.raises(InvalidScene):
        await client.check_content(openid, "hello", 9)
    fake.clock.advance(7300)
    with pytest.raises(UserInactive):
        await client.check_content(openid, "hello", 2)
