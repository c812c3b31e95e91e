"""Shared fixtures: one SecantusDB process per test session, a fresh database per test."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections import defaultdict
from pathlib import Path

import pytest
import structlog
from pymongo import MongoClient, monitoring

from community_plus.app import create_app
from community_plus.keys import PLATFORM
from community_plus.settings import load_settings
from community_plus_harness import GraphQLClient


@pytest.fixture(scope="session")
def database_server(cp_database):
    """The SDK harness's session database (one process for the whole run)."""
    return cp_database


@pytest.fixture
def db_uri(database_server) -> str:
    name = "t_" + uuid.uuid4().hex[:16]
    uri = f"mongodb://{database_server.host}:{database_server.port}/{name}?directConnection=true"
    yield uri
    client = MongoClient(uri, socketTimeoutMS=10000)  # never hang a teardown on a drop
    try:
        client.drop_database(name)
    finally:
        client.close()


@pytest.fixture
def settings(request, db_uri, tmp_path):
    # Tests that drive background work themselves (`deliver_due`…) or count database commands
    # run without the app's background jobs (outbox, auto-close, module periodic), which would
    # otherwise race them. For command counts, attribution by request id (below) is what makes
    # the count exact; this only keeps the wire quiet.
    quiet = {"CP_BACKGROUND_JOBS": "false"} if ("command_counter" in request.fixturenames
                                                or request.node.get_closest_marker("no_background_jobs")) else {}
    return load_settings(MONGODB_URI=db_uri, CP_DATA_DIR=str(tmp_path), CP_ENV="dev", CP_LOG_FORMAT="console",
                         **quiet)


@pytest.fixture
async def client(settings, aiohttp_client):
    """The app under test. `settings` (its database) comes first so that it is torn down
    after the server: the server's change stream must be closed before the database is
    dropped (SecantusDB's dropDatabase waits for open cursors)."""
    return await aiohttp_client(create_app(settings))


@pytest.fixture
def platform(client):
    return client.app[PLATFORM]


class CommandCounter(monitoring.CommandListener):
    """Names of the commands each HTTP request sent to one database.

    A command is attributed to the request whose id the request middleware bound into the
    context (`structlog.contextvars`, inherited by DataLoader tasks); commands of background
    jobs, module pollers or the test itself carry no request id and are never counted."""

    def __init__(self, database: str) -> None:
        self.database = database
        self.by_request: dict[str, list[str]] = defaultdict(list)

    def started(self, event):
        request_id = structlog.contextvars.get_contextvars().get("request_id")
        if event.database_name == self.database and request_id:
            self.by_request[request_id].append(event.command_name)

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass

    async def run(self, gql: GraphQLClient, query: str, variables: dict | None = None,
                  token: str | None = None) -> tuple[dict, list[str]]:
        """Run one operation; its data and the commands that request (and only it) sent."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        resp = await gql.http.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)
        body = await resp.json()
        assert resp.status == 200 and not body.get("errors"), body
        return body["data"], self.by_request.pop(resp.headers["X-Request-Id"], [])


@pytest.fixture
async def command_counter(platform):
    """Route the app's repositories through a client that counts the commands of each request
    (the app runs without background jobs for these tests; see `settings`)."""
    from community_plus.platform import db as dbm
    from community_plus.domains.platform import Platform

    counter = CommandCounter(platform.db.name)
    client = dbm.connect(platform.settings.mongodb_uri, event_listeners=[counter])
    fresh = Platform(platform.settings, client, dbm.database_of(client))
    for repo in fresh.repositories():
        name = next(k for k, v in vars(fresh).items() if v is repo)
        setattr(platform, name, repo)
    yield counter
    await client.close()


@pytest.fixture
def gql(client) -> GraphQLClient:
    return GraphQLClient(client)


@pytest.fixture
async def world(platform) -> dict:
    """Two communities with two grids each, staff accounts and a few residents per community."""
    from community_plus.demo.seed import seed

    await seed(platform, communities=2, residents_per_community=12, grids_per_community=2, work_orders_per_community=0)
    communities = await platform.regions.coll.find({"level": "community"}).sort("_id", 1).to_list()
    grids = {c["_id"]: await platform.grids.of_community(c["_id"]) for c in communities}
    return {"communities": communities, "grids": grids}


TEST_PLUGINS = Path(__file__).parent / "plugins"
TEST_PLUGIN_TARGET = Path(__file__).resolve().parents[1] / ".test-plugins"


def install_test_plugins() -> Path:
    """Install the test plugins as real distributions into `.test-plugins/` (once per change)."""
    sources = sorted(p for p in TEST_PLUGINS.iterdir() if (p / "pyproject.toml").exists())
    stamp = TEST_PLUGIN_TARGET / ".stamp"
    newest = max(f.stat().st_mtime for p in sources for f in p.rglob("*") if f.is_file())
    if not stamp.exists() or stamp.stat().st_mtime < newest:
        shutil.rmtree(TEST_PLUGIN_TARGET, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target",
                        str(TEST_PLUGIN_TARGET), *map(str, sources)], check=True)
        stamp.touch()
    return TEST_PLUGIN_TARGET


def pytest_configure(config):
    config.addinivalue_line("markers", "no_background_jobs: build the app with CP_BACKGROUND_JOBS=false "
                                       "(the test runs outbox delivery or other jobs itself)")
    # Tests drop their database at teardown, sometimes while an app built inside the test is
    # still open; SecantusDB's dropDatabase then waits on a change stream's pending getMore.
    # So the suite polls the event log by default; the realtime tests run both feeds
    # explicitly, with fixtures ordered so the servers close before their database is dropped.
    os.environ.setdefault("CP_REALTIME_FEED", "poll")
    target = str(install_test_plugins())
    if target not in sys.path:
        sys.path.append(target)
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [os.environ.get("PYTHONPATH"), target]))
