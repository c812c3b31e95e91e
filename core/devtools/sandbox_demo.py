"""The demo world a sandbox starts with: the demo communities seeded into an empty database,
the fake WeChat with the demo resident and their one-time subscription grants, the server's
environment pointing at both, and that resident bound to a resident record through the
public API, so that a module's `ctx.notify` to them really arrives (`/_fake/messages`)."""

from __future__ import annotations

import asyncio
import secrets
from pathlib import Path

import aiohttp

from community_plus_sandbox.wechat import FAKE_WECHAT
from community_plus_sandbox.wechat.runner import DEMO_TEMPLATE_IDS, demo_fake_wechat, demo_templates_setting

from community_plus.demo.seed import seed
from community_plus.domains.opening import open_domains
from community_plus.devtools.sandbox_options import SandboxError, SandboxOptions, console
from community_plus.modules.seeding import attach_cli_extensions
from community_plus.platform import db as dbm
from community_plus.domains.platform import Platform

APPID = "wx5a4db0c0ffee0001"
RESIDENT_USER, RESIDENT_PHONE, RESIDENT_NAME = "resident", "13800138000", "沙盒居民"
PASSWORD = "community-plus"
SANDBOX_GRANTS = 50  # one-time subscriptions the demo resident accepted, per template (more: POST /_fake/grant)


async def seed_database(uri: str, settings, communities: int, residents: int) -> bool:
    """Seed the demo communities into an empty database; whether it seeded."""
    client = dbm.connect(uri)
    platform = Platform(settings.model_copy(update={"mongodb_uri": uri}), client, dbm.database_of(client))
    try:
        if await platform.regions.count() != 0:
            return False
        console.print(f"empty database: seeding {communities} demo communities ({residents} residents each)…")
        await open_domains(platform)
        attach_cli_extensions(platform)
        await seed(platform, communities, residents, grids_per_community=2, work_orders_per_community=5,
                   extra=platform.seed_extra)
        return True
    finally:
        await client.close()


def seed_if_empty(uri: str, settings, communities: int, residents: int) -> None:
    asyncio.run(seed_database(uri, settings, communities, residents))


# -- WeChat -----------------------------------------------------------------------------------
def sandbox_fake_wechat(secret: str) -> aiohttp.web.Application:
    """The sandbox's fake WeChat app: the demo templates, the demo resident (the phone of a
    resident record, see `ensure_demo_resident`) and their `SANDBOX_GRANTS` grants of each
    template, as if they had accepted `wx.requestSubscribeMessage` that often."""
    app = demo_fake_wechat(APPID, secret, phones={RESIDENT_USER: RESIDENT_PHONE})
    fake = app[FAKE_WECHAT]
    for template_id in DEMO_TEMPLATE_IDS.values():
        fake.grant_subscription(fake.openid_of(RESIDENT_USER), template_id, SANDBOX_GRANTS)
    return app


def sandbox_environment(options: SandboxOptions, uri: str, secret: str, dist: str | None,
                        wechat_base: str | None = None) -> dict[str, str]:
    """What the server process is configured with (on top of the caller's environment): the
    database, dev mode, and WeChat pointed at the sandbox's fake with its demo templates."""
    return {"MONGODB_URI": uri, "CP_DATA_DIR": str(Path(options.data_dir).resolve()), "CP_ENV": "dev",
            "CP_LOG_FORMAT": "console", "CP_WECHAT_API_BASE": wechat_base or options.wechat_base,
            "CP_WECHAT_APPID": APPID, "CP_WECHAT_SECRET": secret, "CP_WECHAT_TEMPLATES": demo_templates_setting(),
            "CP_SANDBOX_RESIDENT": RESIDENT_USER, "CP_SANDBOX_DIST": dist or ""}


async def _gql(http: aiohttp.ClientSession, base: str, query: str, variables: dict | None = None,
               token: str | None = None) -> dict:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with http.post(f"{base}/graphql", json={"query": query, "variables": variables or {}}, headers=headers) as r:
        body = await r.json()
    if body.get("errors"):
        raise SandboxError(f"{query.split('(')[0]}: {body['errors'][0].get('message')}")
    return body["data"]


async def ensure_demo_resident(base: str) -> str | None:
    """Bind the fake WeChat user `resident` to a resident record of the first community, through
    the public API (loginWithWechat → createResident → bindPhone); idempotent. Returns the id."""
    async with aiohttp.ClientSession() as http:
        login = 'mutation($u: String!, $p: String!) { loginWithPassword(username: $u, password: $p) { accessToken } }'
        admin = (await _gql(http, base, login, {"u": "admin001", "p": PASSWORD}))["loginWithPassword"]["accessToken"]
        community = (await _gql(http, base, "{ me { communityId } }", token=admin))["me"]["communityId"]
        wx = await _gql(http, base, "mutation($c: String!) { loginWithWechat(code: $c) { accessToken viewer { "
                        "residentId } } }", {"c": f"user:{RESIDENT_USER}:{secrets.token_hex(6)}"})
        if wx["loginWithWechat"]["viewer"]["residentId"]:
            return wx["loginWithWechat"]["viewer"]["residentId"]
        found = await _gql(http, base, "query($c: ID, $n: String) { residents(first: 1, filter: {communityId: $c, "
                           "namePrefix: $n}) { edges { node { id } } } }", {"c": community, "n": RESIDENT_NAME},
                           token=admin)
        if not found["residents"]["edges"]:
            await _gql(http, base, "mutation($i: CreateResidentInput!) { createResident(input: $i) { id } }",
                       {"i": {"name": RESIDENT_NAME, "communityId": community, "phone": RESIDENT_PHONE,
                              "birthDate": "1958-03-12"}}, token=admin)
        bound = await _gql(http, base, "mutation($code: String!, $c: ID, $n: String) { bindPhone(code: $code, "
                           "communityId: $c, name: $n) { status auth { viewer { residentId } } } }",
                           {"code": f"phone:{RESIDENT_USER}:{secrets.token_hex(6)}", "c": community,
                            "n": RESIDENT_NAME}, token=wx["loginWithWechat"]["accessToken"])
        auth = bound["bindPhone"]["auth"]
        return auth["viewer"]["residentId"] if auth else None
