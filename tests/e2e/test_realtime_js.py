"""The end-to-end proof with the npm `graphql-ws` client against two real server workers
(`tests/realtime_js/proof.mjs`; `npm ci` runs once when node_modules is missing)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from community_plus.app import create_app
from community_plus.keys import PLATFORM
from realtime_fixtures import people, realtime_settings, ws_url

HARNESS = Path(__file__).parents[1] / "realtime_js"


@pytest.fixture(scope="session")
def node_modules() -> Path:
    assert shutil.which("node") and shutil.which("npm"), "Node.js 20+ and npm are required for this test"
    if not (HARNESS / "node_modules" / "graphql-ws").exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=HARNESS, check=True, timeout=300)
    return HARNESS / "node_modules"


@pytest.fixture
def settings(db_uri, tmp_path):
    return realtime_settings(db_uri, tmp_path)


async def test_graphql_ws_client_proof_through_two_workers(node_modules, settings, aiohttp_client, world_on):
    a, b = world_on
    who = await people(a.app[PLATFORM], world_on.world)
    env = {"wsA": ws_url(a), "wsB": ws_url(b), "httpA": str(a.make_url("/graphql")),
           "httpB": str(b.make_url("/graphql")), "metricsA": str(a.make_url("/metrics")),
           "metricsB": str(b.make_url("/metrics")), "worker": who["worker"], "workerId": who["worker_id"],
           "resident": who["resident"], "desk": who["desk"]}
    proc = await asyncio.create_subprocess_exec("node", str(HARNESS / "proof.mjs"), cwd=HARNESS,
                                                env={**os.environ, "PROOF": json.dumps(env)},
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()
    result = json.loads(out.decode().strip().splitlines()[-1])
    assert result["workerSaw"] == "submit"
    assert result["residentActions"] == ["submit", "accept", "assign", "start", "resolve"]
    assert result["resolvedFrom"] == "IN_PROGRESS"
    assert result["notification"]["state"] == "待评价"
    assert result["notification"]["page"].endswith(result["orderId"])
    assert result["replayed"] == ["accept", "assign", "start", "resolve"]


class _Workers(list):
    world: dict


@pytest.fixture
async def world_on(settings, aiohttp_client):
    """Two workers on one database, seeded like `world`."""
    from community_plus.demo.seed import seed

    workers = _Workers([await aiohttp_client(create_app(settings)) for _ in range(2)])
    platform = workers[0].app[PLATFORM]
    await seed(platform, communities=2, residents_per_community=12, grids_per_community=2, work_orders_per_community=0)
    communities = await platform.regions.coll.find({"level": "community"}).sort("_id", 1).to_list()
    workers.world = {"communities": communities,
                     "grids": {c["_id"]: await platform.grids.of_community(c["_id"]) for c in communities}}
    return workers
