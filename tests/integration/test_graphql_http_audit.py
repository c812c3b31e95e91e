"""graphql-http's `auditServer` (the GraphQL-over-HTTP spec's server audits, npm `graphql-http`)
against a real server on a free port: no failed MUST (error) and no missed SHOULD/MAY (warn).

`npm ci` runs into tests/graphql_http_audit/ once (node_modules is kept, and redone when the
lock file changes); the audit itself takes well under a second.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from community_plus.app import create_app

AUDIT = Path(__file__).parents[1] / "graphql_http_audit"


@pytest.fixture(scope="session")
def audit_tool() -> Path:
    node, npm = shutil.which("node"), shutil.which("npm")
    assert node and npm, "the graphql-http audit needs Node.js and npm on PATH"
    stamp = AUDIT / "node_modules" / ".package-lock.json"
    lock = AUDIT / "package-lock.json"
    if not stamp.exists() or stamp.stat().st_mtime < lock.stat().st_mtime:
        subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=AUDIT, check=True,
                       timeout=300)
    return Path(node)


async def test_graphql_http_audit_passes_without_warnings(aiohttp_server, settings, audit_tool):
    server = await aiohttp_server(create_app(settings))
    url = str(server.make_url("/graphql"))
    proc = await asyncio.create_subprocess_exec(str(audit_tool), "audit.mjs", url, cwd=AUDIT,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), timeout=120)
    assert proc.returncode == 0, err.decode()
    results = json.loads(out)
    assert len(results) >= 50, results  # the audit ran its full list
    failed = [r for r in results if r["status"] != "ok"]
    for r in failed:
        print(f"{r['status']}: {r['id']} {r['name']}: {r['reason']} (HTTP {r.get('httpStatus')}) {r.get('body')}")
    assert not failed, [f"{r['id']} {r['name']}" for r in failed]
