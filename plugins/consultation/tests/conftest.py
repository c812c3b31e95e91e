"""Shared set-up for the consultation tests: the SDK harness (`community`) with only this
module loaded, the SDK's one clock (`ctx.now()`) frozen for the test and moved by it, and
`kit`: GraphQL snippets and helpers (a fixture, because conftest is not importable here)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from community_plus_harness import Community, GraphQLClient
from community_plus_sdk.clock import Clock
from community_plus_sdk.clock import clock as sdk_clock

MODULE = "consultation"
TOPIC_FIELDS = """id kind title options { id label } audience gridId deadline state voterCount opinionCount
  myChoice resolution { text byName publishedAt }"""
OPEN = "mutation($i: OpenConsultationTopicInput!) { openConsultationTopic(input: $i) { %s } }" % TOPIC_FIELDS
VOTE = "mutation($t: ID!, $o: ID!) { castConsultationVote(topicId: $t, optionId: $o) { topicId optionId changedAt } }"
OPINION = "mutation($t: ID!, $x: String!) { submitConsultationOpinion(topicId: $t, text: $x) { id text authorName } }"
RESOLVE = "mutation($id: ID!, $r: String!) { resolveConsultationTopic(id: $id, resolution: $r) { %s } }" % TOPIC_FIELDS
TOPIC = "query($id: ID!) { consultationTopic(id: $id) { %s } }" % TOPIC_FIELDS
RESULTS = """query($t: ID!) { consultationResults(topicId: $t) { final totalVotes options { optionId label votes }
  grids { gridId votes options { optionId votes } } } }"""
TOPICS = """query($f: ConsultationTopicFilter, $first: Int, $after: String) {
  consultationTopics(filter: $f, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id title state myChoice } } } }"""
ARCHIVE = "query($y: Int!) { consultationArchive(year: $y) { totalCount edges { node { id title state } } } }"
OPINIONS = "query($t: ID!) { consultationOpinions(topicId: $t) { totalCount edges { node { text authorName } } } }"
NOTES = "{ myNotifications { totalCount edges { node { title state page } } } }"
STATS = "query($u: DateTime) { moduleStatistics(until: $u) { module key value } }"
RESIDENT = "query($id: ID!) { resident(id: $id) { id relation gridId } }"


@pytest.fixture(autouse=True)
def only_this_module(monkeypatch):
    """Load only this module in the test server; poll the event log (no change stream)."""
    monkeypatch.setenv("CP_PLUGINS", MODULE)
    monkeypatch.setenv("CP_REALTIME_FEED", "poll")


@pytest.fixture
def cp_modules():
    return [MODULE]


@pytest.fixture
def clock() -> Iterator[Clock]:
    """The SDK's clock (what `ctx.now()` reads; the server runs in the test's process), frozen
    at the test's start: `clock.advance(days=3)` lets a deadline pass without waiting."""
    sdk_clock.set(datetime.now(UTC))
    yield sdk_clock
    sdk_clock.reset()


class Kit:
    OPEN, VOTE, OPINION, RESOLVE, TOPIC, RESULTS, TOPICS = OPEN, VOTE, OPINION, RESOLVE, TOPIC, RESULTS, TOPICS
    ARCHIVE, OPINIONS, NOTES, STATS, RESIDENT = ARCHIVE, OPINIONS, NOTES, STATS, RESIDENT

    def __init__(self, community: Community, clock: Clock) -> None:
        self.community = community
        self.clock = clock
        self.admin = community.client("community_admin")

    def deadline(self, days: float = 2) -> str:
        return (self.clock.now() + timedelta(days=days)).isoformat()

    async def open(self, client: GraphQLClient | None = None, **fields: Any) -> dict[str, Any]:
        data = {"kind": "VOTE", "title": "楼道堆物清理方案", "options": ["统一清运", "各户自清"],
                "deadline": self.deadline(), **fields}
        return (await (client or self.admin).ok(OPEN, {"i": data}))["openConsultationTopic"]

    async def residents(self) -> list[dict[str, Any]]:
        """Every seeded resident of the community: id, relation, grid."""
        return [(await self.admin.ok(RESIDENT, {"id": rid}))["resident"] for rid in self.community.resident_ids]

    async def resident(self, index: int) -> GraphQLClient:
        return await self.community.resident_client(index)

    def as_staff_of_other(self, role: str = "community_admin") -> GraphQLClient:
        """Staff of the other community pointing at this one (X-Community-Id)."""
        return GraphQLClient(self.community.http, self.community.other.tokens[role], self.community.id)

    async def post(self, query: str, variables: dict[str, Any], token: str, key: str) -> dict[str, Any]:
        resp = await self.community.http.post("/graphql", json={"query": query, "variables": variables}, headers={
            "Authorization": f"Bearer {token}", "X-Community-Id": self.community.id, "Idempotency-Key": key})
        return await resp.json()


@pytest.fixture
def kit(community: Community, clock: Clock) -> Kit:
    return Kit(community, clock)


class Socket:
    """A minimal graphql-transport-ws client over the harness's HTTP client."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws

    @classmethod
    async def open(cls, community: Community, token: str) -> Socket:
        ws = await community.http.ws_connect("/graphql", protocols=("graphql-transport-ws",))
        sock = cls(ws)
        await ws.send_str(json.dumps({"type": "connection_init", "payload": {"accessToken": token}}))
        assert (await sock.receive())["type"] == "connection_ack"
        return sock

    async def subscribe(self, sid: str, query: str, variables: dict[str, Any]) -> None:
        await self.ws.send_str(json.dumps({"id": sid, "type": "subscribe",
                                           "payload": {"query": query, "variables": variables}}))

    async def receive(self, timeout: float = 10) -> dict[str, Any]:
        while True:
            msg = json.loads((await asyncio.wait_for(self.ws.receive(), timeout)).data)
            if msg["type"] != "ping":
                return msg
            await self.ws.send_str(json.dumps({"type": "pong"}))

    async def close(self) -> None:
        await self.ws.close()


@pytest.fixture
async def socket_to():
    """Open sockets (`await socket_to(community, token)`), closed at the end of the test."""
    opened: list[Socket] = []

    async def connect(community: Community, token: str) -> Socket:
        opened.append(await Socket.open(community, token))
        return opened[-1]

    yield connect
    for sock in opened:
        await sock.close()
