"""A pytest harness for module authors: a real database, a running app with your module
enabled in a community, logged-in clients for every role, and GraphQL helpers.

It is a pytest plugin (entry point `pytest11`), active once `community-plus-sdk[harness]` is
installed::

    async def test_create_notice(community):
        admin = community.client("community_admin")
        data = await admin.ok('mutation { createNotice(input: {title: "停水"}) { id } }')
        resident = community.client("resident")
        await resident.error("FORBIDDEN", 'mutation { createNotice(input: {title: "x"}) { id } }')

`community` is community 1 (your modules enabled); `community.other` is community 2 where
they are disabled, for refusal tests. Override the `cp_modules` fixture to choose modules.
`community.call_hook("my_module", "seed_demo_data", community_id=community.id)` calls a hook
the way the server does. The server talks to a fake WeChat server in the test's event loop;
`wechat_sent` shows the subscription messages it received (`await wechat_sent.wait_for(count=1,
to=user_id)` delivers the outbox and waits; see `community_plus_harness.wechat`).
The harness runs the installed Community+ server (it is the one
package that imports it); your module's code and tests import only `community_plus_sdk` and
`community_plus_harness`.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from community_plus_sdk import ModuleContext

from .wechat import FakeWeChatServer, SentMessages

ROLES = ("platform_admin", "region_admin", "community_admin", "grid_worker", "resident")
PASSWORD = "community-plus"


class GraphQLClient:
    """Runs operations as one principal. `ok` asserts success, `error` asserts a code.

    `token` and `community_id` are the defaults of every call; a call may pass its own `token`,
    extra `headers` (they win over the defaults, e.g. a malformed `Authorization`) and further
    body fields (`extensions=`, `operationName=`). The server's own suite uses this client too
    (its `gql` fixture is an anonymous one), so both test the same wire."""

    def __init__(self, http: Any, token: str | None = None, community_id: str | None = None) -> None:
        self.http = http
        self.token = token
        self.community_id = community_id

    async def execute(self, query: str, variables: dict[str, Any] | None = None, token: str | None = None,
                      headers: dict[str, str] | None = None, **body: Any) -> dict[str, Any]:
        """The response body of one operation; asserts HTTP 200 (GraphQL errors come in the body)."""
        sent: dict[str, str] = {}
        if token or self.token:
            sent["Authorization"] = f"Bearer {token or self.token}"
        if self.community_id:
            sent["X-Community-Id"] = self.community_id
        sent.update(headers or {})
        resp = await self.http.post("/graphql", json={"query": query, "variables": variables or {}, **body},
                                    headers=sent)
        assert resp.status == 200, await resp.text()
        return await resp.json()

    __call__ = execute

    async def ok(self, query: str, variables: dict[str, Any] | None = None, token: str | None = None,
                 **kw: Any) -> dict[str, Any]:
        body = await self.execute(query, variables, token, **kw)
        assert not body.get("errors"), body["errors"]
        return body["data"]

    async def error(self, code: str, query: str, variables: dict[str, Any] | None = None,
                    token: str | None = None, **kw: Any) -> dict[str, Any]:
        body = await self.execute(query, variables, token, **kw)
        codes = [e.get("extensions", {}).get("code") for e in body.get("errors") or []]
        assert code in codes, f"expected {code}, got {body}"
        return next(e for e in body["errors"] if e["extensions"]["code"] == code)

    async def login(self, username: str, password: str = PASSWORD) -> str:
        """A staff access token from `loginWithPassword` (the seeded accounts share `PASSWORD`)."""
        data = await self.ok("mutation($u:String!,$p:String!){loginWithPassword(username:$u,password:$p){accessToken}}",
                             {"u": username, "p": password})
        return data["loginWithPassword"]["accessToken"]


@dataclass
class Community:
    """A seeded community with clients per role; `other` is a second community."""

    id: str
    http: Any
    platform: Any
    tokens: dict[str, str]
    resident_ids: list[str]
    grid_ids: list[str]
    other: Community | None = None
    wechat: FakeWeChatServer | None = None
    _extra_residents: dict[str, str] = field(default_factory=dict)

    def client(self, role: str) -> GraphQLClient:
        if role not in self.tokens:
            raise KeyError(f"unknown role {role!r}; use one of {ROLES}")
        return GraphQLClient(self.http, self.tokens[role], self.id)

    def anonymous(self) -> GraphQLClient:
        return GraphQLClient(self.http, None, self.id)

    async def resident_client(self, index: int) -> GraphQLClient:
        """A client for another resident of this community (`index` into `resident_ids`)."""
        rid = self.resident_ids[index]
        if rid not in self._extra_residents:
            self._extra_residents[rid] = await resident_token(self.platform, rid, self.wechat)
        return GraphQLClient(self.http, self._extra_residents[rid], self.id)

    async def set_module(self, module: str, enabled: bool | None) -> None:
        await self.client("platform_admin").ok(
            "mutation($c: ID!, $m: String!, $e: Boolean) { setModuleEnabled(communityId: $c, module: $m, enabled: $e) { name } }",
            {"c": self.id, "m": module, "e": enabled})

    @property
    def registry(self) -> Any:
        """The server's module registry (`platform.modules`, set when the app started)."""
        registry = self.platform.modules
        assert registry is not None, "the app has not started: use the `community` fixture"
        return registry

    def module_context(self, module: str, community_id: str | None = None) -> ModuleContext:
        """The server's context for `module`: a system context (no caller), scoped to
        `community_id` when given — what hooks such as `migrate` or `run_periodic` receive."""
        return self.registry.context(self.platform, module, community_id=community_id)

    async def call_hook(self, module: str, hook: str, *, scope: str | None = None, **kwargs: Any) -> list[Any]:
        """Call `module`'s implementations of `hook` as the server does (system context scoped
        to `scope`, a community id, when given); one result per implementation. A hook that
        raised is logged and isolated by the server, so it yields no result."""
        return await self.registry.call(module, hook, ctx=self.module_context(module, scope), **kwargs)

    async def configure(self, module: str, settings: dict[str, Any]) -> dict[str, Any]:
        data = await self.client("community_admin").ok(
            "mutation($c: ID!, $m: String!, $s: JSON!) { updateModuleSettings(communityId: $c, module: $m, settings: $s) { settings } }",
            {"c": self.id, "m": module, "s": settings})
        return data["updateModuleSettings"]["settings"]


async def resident_token(platform: Any, resident_id: str, wechat: FakeWeChatServer | None = None) -> str:
    """A session for a resident principal bound to `resident_id` (what WeChat login and
    phone binding produce), without going through WeChat; with `wechat`, the account also
    gets its WeChat identity on that fake (to receive messages)."""
    from datetime import UTC, datetime

    from community_plus.platform.repository import new_id
    from community_plus.domains.identity.auth import AuthService

    resident = await platform.residents.get(resident_id)
    user = {"_id": new_id(), "role": "resident", "displayName": resident["name"], "residentId": resident_id,
            "communityId": resident["communityId"], "createdAt": datetime.now(UTC)}
    await platform.users.insert(user)
    if wechat is not None:
        await wechat.bind(platform, user["_id"])
    return (await AuthService(platform).start_session(user)).access_token


async def staff_token(platform: Any, username: str) -> str:
    """A session for a seeded staff account (no password check: argon2 is slow on purpose)."""
    from community_plus.domains.identity.auth import AuthService

    return (await AuthService(platform).start_session(await platform.users.by_username(username))).access_token


@pytest.fixture(scope="session")
def cp_database():
    """One SecantusDB process for the test session."""
    from community_plus.platform.testing import start_test_database

    db = start_test_database(Path(tempfile.mkdtemp(prefix="cp-plugin-db-")))
    yield db
    db.stop()


@pytest.fixture
def cp_modules() -> list[str] | None:
    """Modules to enable in the test community; None means every installed module."""
    return None


@pytest.fixture
def cp_settings(cp_database, tmp_path):
    """Settings of a fresh database for one test."""
    from community_plus.settings import load_settings

    uri = f"mongodb://{cp_database.host}:{cp_database.port}/p_{uuid.uuid4().hex[:16]}?directConnection=true"
    return load_settings(MONGODB_URI=uri, CP_DATA_DIR=str(tmp_path), CP_ENV="dev", CP_LOG_FORMAT="console",
                         CP_BACKGROUND_JOBS="false")


@pytest.fixture
async def cp_wechat() -> AsyncIterator[FakeWeChatServer]:
    """The fake WeChat server the test's app talks to (`.fake` is its state: users, grants,
    flagged words, sent messages)."""
    wechat = await FakeWeChatServer.start()
    yield wechat
    await wechat.close()


@pytest.fixture
def wechat_sent(community, cp_wechat) -> SentMessages:
    """The WeChat subscription messages the fake received in this test: `await
    wechat_sent.wait_for(count=1, to=user_id_or_client, template="module_notice")` sends the
    outbox and waits for them (template id, openid, data, page); `set_grants(user, 0)`."""
    return SentMessages(cp_wechat, community.platform)


@pytest.fixture
async def community(cp_settings, cp_modules, cp_wechat) -> AsyncIterator[Community]:
    """A running app with two seeded communities; your modules enabled in the first."""
    from aiohttp.test_utils import TestClient, TestServer

    from community_plus.app import create_app
    from community_plus.keys import PLATFORM
    from community_plus.keys import REGISTRY
    from community_plus.demo.seed import seed

    app = create_app(cp_settings.model_copy(update=cp_wechat.settings()))
    http = TestClient(TestServer(app))
    await http.start_server()
    try:
        platform = app[PLATFORM]
        await seed(platform, communities=2, residents_per_community=10, grids_per_community=2,
                   work_orders_per_community=0)
        await cp_wechat.bind_all(platform)  # staff sign in to the mini-program through WeChat too
        modules = list(app[REGISTRY].modules) if cp_modules is None else cp_modules
        communities = await platform.regions.coll.find({"level": "community"}).sort("_id", 1).to_list()
        built = []
        for i, c in enumerate(communities[:2]):
            residents = [d["_id"] async for d in platform.residents.coll.find({"communityId": c["_id"]}, {"_id": 1})]
            grids = [g["_id"] for g in await platform.grids.of_community(c["_id"])]
            suffix = c["_id"][-3:]
            tokens = {"platform_admin": await staff_token(platform, "admin"),
                      "region_admin": await staff_token(platform, "nanjing"),
                      "community_admin": await staff_token(platform, f"admin{suffix}"),
                      "grid_worker": await staff_token(platform, f"gw{suffix}1"),
                      "resident": await resident_token(platform, residents[0], cp_wechat)}
            built.append(Community(c["_id"], http, platform, tokens, residents, grids, wechat=cp_wechat))
        first, second = built
        first.other = second
        for module in modules:
            await first.set_module(module, True)
        yield first
    finally:
        await http.close()
