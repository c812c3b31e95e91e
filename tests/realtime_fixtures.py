"""Helpers for the subscription tests: sessions, WebSocket clients, waiting for events.

Two kinds of client: Python `gql` with its websockets transport (what an integrator would
use) and a raw aiohttp client for protocol-level checks (close codes, limits).
"""

from __future__ import annotations

import asyncio
import json
from contextlib import asynccontextmanager
from typing import Any

import pytest
from gql import Client, gql
from gql.transport.websockets import WebsocketsTransport

from community_plus.domains.identity.auth import AuthService

PROTOCOL = "graphql-transport-ws"
WAIT = 5.0  # generous bound for "arrives"; events normally take milliseconds

WORK_ORDER_SUB = """subscription($after: String) { workOrderUpdated(after: $after) {
  cursor action previousState workOrder { id state title assigneeId resident { id } } } }"""
NOTIFICATION_SUB = """subscription($after: String) { notificationReceived(after: $after) {
  cursor notification { id title state page read } } }"""
MODULES_SUB = """subscription { moduleStateChanged { module change enabled enabledModules communityId } }"""
SUBMIT = """mutation($input: SubmitWorkOrderInput!) { submitWorkOrder(input: $input) { id state } }"""


def ws_url(client) -> str:
    return str(client.make_url("/graphql")).replace("http://", "ws://")


async def staff_token(platform, username: str) -> str:
    """A session for a seeded account (no argon2 check: it is slow on purpose)."""
    return (await AuthService(platform).start_session(await platform.users.by_username(username))).access_token


@asynccontextmanager
async def gql_session(url: str, token: str | None, community: str | None = None, **kw: Any):
    payload: dict[str, Any] = {}
    if token:
        payload["accessToken"] = token
    if community:
        payload["X-Community-Id"] = community
    transport = WebsocketsTransport(url=url, init_payload=payload, subprotocols=[PROTOCOL], **kw)
    async with Client(transport=transport, fetch_schema_from_transport=False) as session:
        yield session


class Stream:
    """A `gql` subscription read in the background, so tests can wait for what arrives."""

    def __init__(self, session, query: str, variables: dict | None = None) -> None:
        self.items: list[dict] = []
        self.error: BaseException | None = None
        self._changed = asyncio.Event()
        self._task = asyncio.create_task(self._read(session, query, variables or {}))

    async def _read(self, session, query, variables) -> None:
        try:
            request = gql(query)
            request.variable_values = variables
            async for item in session.subscribe(request):
                self.items.append(item)
                self._changed.set()
        except Exception as exc:  # noqa: BLE001 - the test inspects it
            self.error = exc
        finally:
            self._changed.set()

    async def wait_for(self, predicate, timeout: float = WAIT) -> dict:
        """The first item satisfying `predicate` (waits for it; never sleeps blindly)."""
        async def until() -> dict:
            while True:
                for item in self.items:
                    if predicate(item):
                        return item
                if self.error is not None:
                    raise AssertionError(f"subscription failed: {self.error!r}")
                self._changed.clear()
                await self._changed.wait()

        return await asyncio.wait_for(until(), timeout)

    async def wait_count(self, n: int, timeout: float = WAIT) -> list[dict]:
        await self.wait_for(lambda _: len(self.items) >= n, timeout)
        return self.items

    async def ended(self, timeout: float = WAIT) -> BaseException | None:
        await asyncio.wait_for(asyncio.shield(self._task), timeout)
        return self.error

    def cancel(self) -> None:
        self._task.cancel()


class RawSocket:
    """A bare graphql-transport-ws client (for close codes and protocol details)."""

    def __init__(self, ws) -> None:
        self.ws = ws
        self.close_code: int | None = None  # the code in the server's close frame
        self.close_reason = ""

    @classmethod
    async def open(cls, http, url: str) -> RawSocket:
        return cls(await http.ws_connect(url, protocols=[PROTOCOL]))

    async def send(self, message: dict) -> None:
        await self.ws.send_str(json.dumps(message))

    async def init(self, payload: dict) -> dict | None:
        """Send connection_init; the ack, or None when the server closed the socket."""
        await self.send({"type": "connection_init", "payload": payload})
        return await self.receive()

    async def receive(self, timeout: float = WAIT) -> dict | None:
        msg = await self.ws.receive(timeout=timeout)
        if msg.type.name == "TEXT":
            return json.loads(msg.data)
        self._closed_by(msg)
        return None

    def _closed_by(self, msg) -> None:
        if msg.type.name == "CLOSE" and self.close_code is None:
            self.close_code, self.close_reason = msg.data, msg.extra or ""
        elif self.close_code is None:
            self.close_code = self.ws.close_code

    async def subscribe(self, id: str, query: str, variables: dict | None = None) -> None:
        await self.send({"id": id, "type": "subscribe", "payload": {"query": query, "variables": variables or {}}})

    async def closed(self, timeout: float = WAIT) -> tuple[int | None, str]:
        """Read until the server closes; the close code and reason."""
        while True:
            msg = await self.ws.receive(timeout=timeout)
            if msg.type.name in ("CLOSE", "CLOSING", "CLOSED", "ERROR"):
                self._closed_by(msg)
                return self.close_code, msg.extra if isinstance(msg.extra, str) else ""

    async def close(self) -> None:
        await self.ws.close()


def realtime_settings(db_uri: str, tmp_path, **overrides: str):
    """Settings for realtime tests (background jobs off: they are not under test here)."""
    from community_plus.settings import load_settings

    return load_settings(MONGODB_URI=db_uri, CP_DATA_DIR=str(tmp_path), CP_ENV="dev", CP_LOG_FORMAT="console",
                         CP_BACKGROUND_JOBS="false", **overrides)


ACCEPT = "mutation($id: ID!) { acceptWorkOrder(id: $id) { state } }"
ASSIGN = "mutation($id: ID!, $a: ID) { assignWorkOrder(id: $id, assigneeId: $a) { state assigneeId } }"
START = "mutation($id: ID!) { startWorkOrder(id: $id) { state } }"
RESOLVE = "mutation($id: ID!, $n: String) { resolveWorkOrder(id: $id, note: $n) { state } }"


async def people(platform, world) -> dict:
    """Tokens of a resident, the grid worker of their grid, the desk, and a worker elsewhere."""
    from community_plus_harness import resident_token

    c1, c2 = world["communities"][0]["_id"], world["communities"][1]["_id"]
    resident = await platform.residents.coll.find_one({"communityId": c1, "relation": "self",
                                                      "gridId": {"$ne": None}})
    grid = await platform.grids.get(resident["gridId"])
    worker = await platform.users.get(grid["workerIds"][0])
    other_grid = world["grids"][c2][0]
    other = await platform.users.get(other_grid["workerIds"][0])
    auth = AuthService(platform)
    return {"resident": await resident_token(platform, resident["_id"]), "resident_doc": resident,
            "worker": (await auth.start_session(worker)).access_token, "worker_id": worker["_id"],
            "desk": await staff_token(platform, f"admin{c1[-3:]}"), "other_worker": (await auth.start_session(
                other)).access_token, "c1": c1, "c2": c2,
            "other_desk": await staff_token(platform, f"admin{c2[-3:]}")}


@pytest.fixture(name="settings", params=["change_stream", "poll"])
def both_feeds(request, db_uri, tmp_path):
    """Import into a test module to run its tests once per feed."""
    return realtime_settings(db_uri, tmp_path, CP_REALTIME_FEED=request.param)


@pytest.fixture
async def workers(settings, aiohttp_client):
    """Two workers of one deployment (each its own app, feed and hub). `settings` first: the
    servers close before the database is dropped."""
    from community_plus.app import create_app

    return [await aiohttp_client(create_app(settings)) for _ in range(2)]
