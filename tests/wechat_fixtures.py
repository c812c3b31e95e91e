"""Fixtures for WeChat tests: the fake WeChat server (pytest-aiohttp), settings pointing at it,
and WeChat clients on a real SecantusDB database. Import with `from wechat_fixtures import *`.

Importing overrides the `settings` fixture so apps built by `client` talk to the fake.
"""

from __future__ import annotations

import pytest

from community_plus.platform import db as dbm
from community_plus.integrations.wechat import WeChatClient
from community_plus_sandbox.wechat import FAKE_WECHAT, FakeWeChat, create_fake_wechat

APPID = "wx1234567890abcdef"
SECRET = "fake-secret-0123456789abcdef0123"
TEMPLATE = "TPL_WORK_ORDER_UPDATE"
TEMPLATE_KEYS = ["thing1", "phrase2", "time3"]


@pytest.fixture
def fake_wechat_app():
    return create_fake_wechat(APPID, SECRET, templates={TEMPLATE: TEMPLATE_KEYS},
                              flagged={"赌博": ("risky", 20006), "代开发票": ("review", 10001)})


@pytest.fixture
async def wechat_server(aiohttp_server, fake_wechat_app):
    return await aiohttp_server(fake_wechat_app)


@pytest.fixture
def fake(wechat_server) -> FakeWeChat:
    """The fake's state: mint codes, grant subscriptions, move the clock, read sent messages."""
    return wechat_server.app[FAKE_WECHAT]


@pytest.fixture
def wechat_base(wechat_server) -> str:
    return str(wechat_server.make_url("")).rstrip("/")


@pytest.fixture
def settings(settings, wechat_base):
    """The conftest settings, with CP_WECHAT_* pointing at the fake."""
    return settings.model_copy(update={"wechat_appid": APPID, "wechat_secret": SECRET,
                                       "wechat_api_base": wechat_base})


@pytest.fixture
async def mongo_db(db_uri):
    client = dbm.connect(db_uri)
    yield dbm.database_of(client)
    await client.close()


@pytest.fixture
async def make_client(mongo_db, wechat_base):
    """`make_client(**options)` builds a WeChatClient ("a worker") on the test database."""
    made: list[WeChatClient] = []

    def make(**options) -> WeChatClient:
        options.setdefault("busy_backoff", 0.01)
        c = WeChatClient(options.pop("appid", APPID), options.pop("secret", SECRET),
                         options.pop("api_base", wechat_base), options.pop("db", mongo_db), **options)
        made.append(c)
        return c

    yield make
    for c in made:
        await c.close()
