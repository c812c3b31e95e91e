"""The WeChat side of the harness: the server under test talks to a real fake WeChat server
(`community_plus_sandbox.wechat`, the one the sandbox runs, following WeChat's protocol) in
the test's own event loop, and `wechat_sent` shows what it received.

Every user of the test database counts as logged in through WeChat (a WeChat identity with a
stable openid) and as having accepted each subscription template `DEFAULT_GRANTS` times
(`wx.requestSubscribeMessage`); `set_grants` changes that for one user, e.g. to 0 to see
`no_grant`. The app runs without background jobs, so messages leave the outbox when a test
waits for them — through the server's own sender (outbox → `subscribeMessage.send`), the
path production uses::

    async def test_the_worker_hears_of_the_order(community, wechat_sent):
        ...  # a mutation whose code calls ctx.notify([worker_user_id], "新订单：助浴", "待派单")
        [message] = await wechat_sent.wait_for(count=1, to=worker_user_id)
        assert message.template == "module_notice" and message.state == "待派单"
        assert message.page == "/pages/elder_care/dispatch" and message.title.startswith("新订单")
"""

from __future__ import annotations

import asyncio
import base64
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

APPID = "wx7e57c0ffee000001"
SECRET = "harness-secret-0123456789abcdef0"
DEFAULT_GRANTS = 100  # one-time grants per user and template; each message spends one
POLL_SECONDS = 0.05


@dataclass(frozen=True)
class SentMessage:
    """One subscription message the fake WeChat accepted (`subscribeMessage.send`)."""

    template_id: str  # the WeChat template id
    template: str | None  # the server's key for it: module_notice (ctx.notify), work_order_status
    openid: str  # the recipient's openid (`touser`)
    user_id: str | None  # the recipient's Community+ user id
    data: dict[str, str]  # keyword → value: thing1, phrase2, time3
    page: str | None  # the mini-program page it opens
    miniprogram_state: str

    @property
    def title(self) -> str | None:
        return self.data.get("thing1")

    @property
    def state(self) -> str | None:
        return self.data.get("phrase2")

    @property
    def time(self) -> str | None:
        """`YYYY-MM-DD HH:MM` in China time."""
        return self.data.get("time3")


class FakeWeChatServer:
    """The fake WeChat server of one test and the identities the harness gave users on it."""

    def __init__(self, server: Any) -> None:
        from community_plus_sandbox.wechat import FAKE_WECHAT
        from community_plus_sandbox.wechat.runner import DEMO_TEMPLATE_IDS

        self.server = server
        self.fake = server.app[FAKE_WECHAT]  # community_plus_sandbox.wechat.FakeWeChat
        self.template_ids = dict(DEMO_TEMPLATE_IDS)  # server key → template id
        self.user_of: dict[str, str] = {}  # openid → user id
        self.explicit: set[tuple[str, str]] = set()  # (user id, template key) whose grants a test set

    @classmethod
    async def start(cls) -> FakeWeChatServer:
        from aiohttp.test_utils import TestServer

        from community_plus_sandbox.wechat import create_fake_wechat
        from community_plus_sandbox.wechat.runner import DEMO_TEMPLATES

        server = TestServer(create_fake_wechat(APPID, SECRET, templates=DEMO_TEMPLATES))
        await server.start_server()
        return cls(server)

    async def close(self) -> None:
        await self.server.close()

    def settings(self) -> dict[str, Any]:
        """Settings fields pointing a server at this fake, with its templates."""
        templates = ",".join(f"{key}={tid}" for key, tid in self.template_ids.items())
        return {"wechat_appid": APPID, "wechat_secret": SECRET, "wechat_templates": templates,
                "wechat_api_base": str(self.server.make_url("")).rstrip("/")}

    async def bind(self, platform: Any, user_id: str) -> str:
        """Give `user_id` a WeChat identity (unless it has one), a recent login and the default
        grants; returns its openid."""
        from community_plus.domains.identity.repositories import IdentityRepositories
        from community_plus.domains.identity.service import SESSION_KEY_FIELD

        identities = IdentityRepositories.of(platform).identities
        identity = await identities.by_user(user_id)
        if identity is None:
            openid = self.fake.openid_of(f"user-{user_id}")
            sealed = platform.keyring.seal(base64.b64encode(os.urandom(16)).decode(), SESSION_KEY_FIELD)
            identity = await identities.record_login(APPID, openid, None, sealed, datetime.now(UTC), user_id)
        openid = identity["openid"]
        if openid not in self.user_of:
            self.user_of[openid] = user_id
            user = next((u for u in self.fake.users.values() if u.openid == openid), None)
            if user is not None:
                user.last_login = self.fake.clock.now()  # active: msg_sec_check accepts their text
            for key, tid in self.template_ids.items():
                if (user_id, key) not in self.explicit:
                    self.fake.grant_subscription(openid, tid, DEFAULT_GRANTS)
        return openid

    async def bind_all(self, platform: Any) -> None:
        async for user in platform.users.coll.find({}, {"_id": 1}):
            await self.bind(platform, user["_id"])


class SentMessages:
    """What the fake WeChat received in this test (the `wechat_sent` fixture)."""

    def __init__(self, wechat: FakeWeChatServer, platform: Any) -> None:
        self.wechat = wechat
        self.platform = platform

    @property
    def messages(self) -> list[SentMessage]:
        """Every message received so far (delivered ones only: see `wait_for`)."""
        keys = {tid: key for key, tid in self.wechat.template_ids.items()}
        return [SentMessage(template_id=m["template_id"], template=keys.get(m["template_id"]), openid=m["touser"],
                            user_id=self.wechat.user_of.get(m["touser"]),
                            data={k: str(v.get("value")) for k, v in m["data"].items()}, page=m.get("page"),
                            miniprogram_state=m["miniprogram_state"])
                for m in self.wechat.fake.sent_messages]

    def __len__(self) -> int:
        return len(self.wechat.fake.sent_messages)

    def __iter__(self) -> Iterator[SentMessage]:
        return iter(self.messages)

    async def user_id(self, who: Any) -> str:
        """A user id, or the user behind a `GraphQLClient`."""
        if isinstance(who, str):
            return who
        return (await who.ok("{ me { id } }"))["me"]["id"]

    async def set_grants(self, who: Any, times: int, template: str = "module_notice") -> None:
        """Give a user (id or client) exactly `times` grants of a template (0: none, so the
        outbox records `no_grant`)."""
        user_id = await self.user_id(who)
        self.wechat.explicit.add((user_id, template))
        openid = await self.wechat.bind(self.platform, user_id)
        tid = self.wechat.template_ids[template]
        self.wechat.fake.grant_subscription(openid, tid, times - self.wechat.fake.grants_left(openid, tid))

    async def deliver(self) -> int:
        """Send the outbox's due messages now, as the server's background worker would."""
        from community_plus.domains.notifications.service import sender_for
        from community_plus.domains.notifications.service import deliver_due

        for user_id in await self.platform.outbox.coll.distinct("recipientUserId", {"state": "pending"}):
            await self.wechat.bind(self.platform, user_id)  # a user created during the test
        return await deliver_due(self.platform, sender_for(self.platform))

    async def wait_for(self, count: int = 1, *, to: Any = None, template: str | None = None,
                       timeout: float = 10.0) -> list[SentMessage]:
        """Deliver the outbox until the fake WeChat has received at least `count` messages
        (to the user `to`, an id or a client, and of `template` when given), then return every
        such message; past `timeout` seconds fail with what the outbox recorded instead."""
        user_id = await self.user_id(to) if to is not None else None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            await self.deliver()
            found = [m for m in self.messages if (user_id is None or m.user_id == user_id)
                     and (template is None or m.template == template)]
            if len(found) >= count:
                return found
            if loop.time() >= deadline:
                raise AssertionError(await self._explain(count, found, user_id, template))
            await asyncio.sleep(POLL_SECONDS)  # a message queued by work still running (an event hook)

    async def _explain(self, count: int, found: list[SentMessage], user_id: str | None, template: str | None) -> str:
        query: dict[str, Any] = {"state": {"$ne": "sent"}}
        if user_id is not None:
            query["recipientUserId"] = user_id
        if template is not None:
            query["template"] = template
        unsent = await self.platform.outbox.coll.find(query).to_list(20)
        lines = [f"- {m.get('event')} to {m['recipientUserId']}: {m['state']} {m.get('lastError') or ''}".rstrip()
                 for m in unsent]
        return (f"expected {count} WeChat message(s){f' to {user_id}' if user_id else ''}"
                f"{f' ({template})' if template else ''}, the fake received {len(found)}; outbox messages not "
                "sent:\n" + ("\n".join(lines) or "- none (nothing called ctx.notify?)"))
