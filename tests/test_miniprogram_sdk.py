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
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from wechat_fixtures import APPID, SECRET, TEMPLATE, fake, fake_wechat_app, wechat_base, wechat_server  # noqa: F401

PACKAGE = Path(__file__).resolve().parents[1] / "clients" / "miniprogram"
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
    assert npm and shutil.which("node"), "node and npm are needed for the mini-program SDK tests (apt-get install nodejs npm)"
    if not node_modules_ready():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=PACKAGE, check=True,
                       timeout=600)


async def test_miniprogram_sdk_node_suite(client, world, settings, wechat_base):  # noqa: F811
    ensure_node_modules()
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
