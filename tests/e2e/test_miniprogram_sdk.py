"""The mini-program SDK (`clients/miniprogram`) under node, against this server for real.

The app runs on a free port (the `client` fixture's aiohttp TestServer) with the fake WeChat
beside it; `npm ci` installs the package's dev dependencies once (node_modules is not
committed, package-lock.json is); then `node --test` runs the SDK's unit tests (sha256,
graphql-transport-ws against a node server, generated types current, shipped code free of
Node built-ins) and its integration tests, whose `wx` shim does real HTTP, multipart
uploads and storage against the server. The node tests get the URLs in environment
variables (CP_SDK_*). Run them by hand: see clients/miniprogram/README.md.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from community_plus.app import create_app
from community_plus.keys import PLATFORM
from community_plus.platform.rate_limit import Limit
from community_plus.domains.identity.service import IdentityLimits
from wechat_fixtures import APPID, SECRET, TEMPLATE, fake, fake_wechat_app, wechat_base, wechat_server  # noqa: F401

PACKAGE = Path(__file__).resolve().parents[2] / "clients" / "miniprogram"
NODE_TIMEOUT = 420  # seconds, the whole node run
MODULE_TEMPLATE = "TPL_MODULE_NOTICE"


@pytest.fixture
def settings(settings, wechat_base):  # noqa: F811
    """The app talks to the fake WeChat and lists two subscription templates."""
    return settings.model_copy(update={
        "wechat_appid": APPID, "wechat_secret": SECRET, "wechat_api_base": wechat_base,
        "wechat_templates": f"work_order_status={TEMPLATE},module_notice={MODULE_TEMPLATE}"})


def node_modules_ready() -> bool:
    """Installed, and from the current lock file (npm writes node_modules/.package-lock.json)."""
    stamp = PACKAGE / "node_modules" / ".package-lock.json"
    return stamp.exists() and stamp.stat().st_mtime >= (PACKAGE / "package-lock.json").stat().st_mtime


def ensure_node_modules() -> None:
    npm = shutil.which("npm")
    assert npm and shutil.which("node"), "the mini-program SDK tests need node (20+) and npm on the PATH"
    if not node_modules_ready():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=PACKAGE, check=True,
                       timeout=600)


async def test_miniprogram_sdk_node_suite(client, world, settings, wechat_base):  # noqa: F811
    ensure_node_modules()
    # Every simulated phone logs in from 127.0.0.1: room for them under the per-IP login limit.
    client.app[PLATFORM].identity_limits = IdentityLimits(login_per_ip=Limit("wechat-login:ip", 1000, 60))
    communities = [{"id": c["_id"], "name": c["name"], "admin": f"admin{c['_id'][-3:]}"}
                   for c in world["communities"]]
    env = {**os.environ,
           "CP_SDK_SERVER_URL": str(client.server.make_url("")).rstrip("/"),
           "CP_SDK_WECHAT_URL": wechat_base,
           "CP_SDK_SIGNING_KEY": settings.signing_key,  # to forge expired access tokens
           "CP_SDK_WORLD": json.dumps({"communities": communities, "regionAdmin": "nanjing",
                                       "password": "community-plus",
                                       "templates": {"work_order_status": TEMPLATE, "module_notice": MODULE_TEMPLATE}})}
    narrowed = os.environ.get("CP_SDK_TEST_FILES", "").split()  # e.g. "test/unit/socket.test.js"
    files = narrowed or sorted(str(p.relative_to(PACKAGE)) for p in PACKAGE.glob("test/*/*.test.js"))
    proc = await asyncio.create_subprocess_exec(
        "node", "--test", "--test-reporter=spec", *files, cwd=PACKAGE, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), NODE_TIMEOUT)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    report = out.decode()
    print(report)  # shown by pytest -s, and with the failure
    passed = re.search(r"^ℹ pass (\d+)$", report, re.M)
    failed = re.search(r"^ℹ fail (\d+)$", report, re.M)
    assert proc.returncode == 0 and failed and failed.group(1) == "0", report
    assert passed and int(passed.group(1)) >= (1 if narrowed else 30), report


async def test_shipped_operations_register_for_strict_persisted_mode(aiohttp_client, settings, world):
    """`community-plus queries register clients/miniprogram/persisted/*.graphql` registers exactly the
    documents the SDK sends, so a server in strict mode runs them from their hash alone."""
    client = await aiohttp_client(create_app(settings.model_copy(update={"persisted_only": True})))
    store = client.app[PLATFORM].persisted_queries
    files = sorted((PACKAGE / "persisted").glob("*.graphql"))
    assert len(files) >= 20
    shipped = (PACKAGE / "src" / "operations.js").read_text(encoding="utf-8")
    for f in files:
        text = f.read_text(encoding="utf-8")
        assert json.dumps(text, ensure_ascii=False) in shipped, f"{f.name} differs from src/operations.js"
        await store.store(text, registered=True)  # what `queries register` does

    def hashed(name: str, variables: dict) -> dict:
        text = (PACKAGE / "persisted" / f"{name}.graphql").read_text(encoding="utf-8")
        return {"operationName": name, "variables": variables,
                "extensions": {"persistedQuery": {"version": 1,
                                                  "sha256Hash": hashlib.sha256(text.encode()).hexdigest()}}}

    admin = f"admin{world['communities'][0]['_id'][-3:]}"
    login = await (await client.post("/graphql", json=hashed(
        "LoginWithPassword", {"username": admin, "password": "community-plus"}))).json()
    token = login["data"]["loginWithPassword"]["accessToken"]
    templates = await (await client.post("/graphql", json=hashed("SubscriptionTemplates", {}))).json()
    assert templates["data"]["subscriptionTemplates"][0]["templateId"] == MODULE_TEMPLATE
    grid = await (await client.post("/graphql", json=hashed("MyGridResidents", {"first": 2}),
                                    headers={"Authorization": f"Bearer {token}"})).json()
    assert grid["data"]["residents"]["totalCount"] > 0, grid
    refused = await (await client.post("/graphql", json={"query": "{ me { id } }"})).json()
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
