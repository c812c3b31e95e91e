"""Shared set-up for the village_affairs tests: the SDK harness (`community`) with only this
module loaded, the SDK's one clock (`ctx.now()`) pinned to a chosen moment (`clock.set`) and `kit`: GraphQL
snippets and helpers (a fixture, because conftest is not importable here)."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta, timezone
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest
from PIL import Image

from community_plus_harness import Community, GraphQLClient
from community_plus_sdk.clock import clock as sdk_clock

MODULE = "village_affairs"
CST = timezone(timedelta(hours=8))
FIELDS = """id category title period requirementId attachmentIds publishAt expiresAt state readCount questionCount"""
PUBLISH = "mutation($i: PublishVillageDisclosureInput!) { publishVillageDisclosure(input: $i) { %s } }" % FIELDS
DISCLOSURE = "query($id: ID!) { villageDisclosure(id: $id) { %s } }" % FIELDS
DISCLOSURES = """query($f: VillageDisclosureFilter, $first: Int, $after: String) {
  villageDisclosures(filter: $f, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { node { id title state } } } }"""
READ = "mutation($id: ID!) { markVillageDisclosureRead(id: $id) { readCount } }"
WITHDRAW = "mutation($id: ID!) { withdrawVillageDisclosure(id: $id) { state } }"
ASK = "mutation($d: ID!, $t: String!) { askVillageAffairsQuestion(disclosureId: $d, text: $t) { id state } }"
ANSWER = "mutation($id: ID!, $a: String!) { answerVillageAffairsQuestion(id: $id, answer: $a) { id state answer answeredByName } }"
QUESTIONS = """query($d: ID, $s: VillageAffairsQuestionState) { villageAffairsQuestions(disclosureId: $d, state: $s) {
  totalCount edges { node { id text state answer } } } }"""
ADOPT = "mutation($y: Int!) { adoptStandardVillageDisclosureCatalogue(year: $y) { id category title frequency } }"
CATALOGUE = """query($y: Int!, $s: VillageCatalogueStatus, $first: Int, $after: String) {
  villageDisclosureCatalogue(year: $y, status: $s, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { period status dueAt disclosureId requirement { category title } } } } }"""
SUMMARY = """query($y: Int!) { villageDisclosureCatalogueSummary(year: $y) {
  periods disclosed disclosedLate scheduled pending overdue } }"""
NOTES = "{ myNotifications { totalCount edges { node { title state page } } } }"
STATS = "query($s: DateTime, $u: DateTime) { moduleStatistics(since: $s, until: $u) { module key value } }"


class PinnedClock:
    """Moves the SDK's one clock (what `ctx.now()` reads; the server runs in the test's
    process) to a chosen China-time moment."""

    def now(self) -> datetime:
        return sdk_clock.now()

    def set(self, year: int, month: int, day: int, hour: int = 10) -> datetime:
        sdk_clock.set(datetime(year, month, day, hour, tzinfo=CST))
        return sdk_clock.now()


@pytest.fixture(autouse=True)
def only_this_module(monkeypatch):
    monkeypatch.setenv("CP_PLUGINS", MODULE)


@pytest.fixture
def cp_modules():
    return [MODULE]


@pytest.fixture
def clock() -> Iterator[PinnedClock]:
    """The clock frozen at the test's start; back to real time afterwards."""
    sdk_clock.set(datetime.now(UTC))
    yield PinnedClock()
    sdk_clock.reset()


class Kit:
    FIELDS, PUBLISH, DISCLOSURE, DISCLOSURES, READ, WITHDRAW = FIELDS, PUBLISH, DISCLOSURE, DISCLOSURES, READ, WITHDRAW
    ASK, ANSWER, QUESTIONS, ADOPT, CATALOGUE, SUMMARY, NOTES, STATS = (ASK, ANSWER, QUESTIONS, ADOPT, CATALOGUE,
                                                                       SUMMARY, NOTES, STATS)

    def __init__(self, community: Community, clock: PinnedClock) -> None:
        self.community = community
        self.clock = clock
        self.admin = community.client("community_admin")

    def at(self, year: int, month: int, day: int, hour: int = 10) -> str:
        return datetime(year, month, day, hour, tzinfo=CST).isoformat()

    async def publish(self, client: GraphQLClient | None = None, **fields: Any) -> dict[str, Any]:
        data = {"category": "FINANCES", "title": "财务收支公开", **fields}
        return (await (client or self.admin).ok(PUBLISH, {"i": data}))["publishVillageDisclosure"]

    async def upload(self, client: GraphQLClient) -> str:
        buf = io.BytesIO()
        Image.new("RGB", (64, 48), (40, 120, 200)).save(buf, "JPEG")
        form = aiohttp.FormData()
        form.add_field("purpose", "document")
        form.add_field("file", buf.getvalue(), filename="ledger.jpg", content_type="image/jpeg")
        resp = await self.community.http.post("/upload", data=form, headers={
            "Authorization": f"Bearer {client.token}", "X-Community-Id": self.community.id})
        body = await resp.json()
        assert resp.status == 200, body
        return body["id"]

    def as_staff_of_other(self, role: str) -> GraphQLClient:
        return GraphQLClient(self.community.http, self.community.other.tokens[role], self.community.id)

    async def post(self, query: str, variables: dict[str, Any], token: str, key: str) -> dict[str, Any]:
        resp = await self.community.http.post("/graphql", json={"query": query, "variables": variables}, headers={
            "Authorization": f"Bearer {token}", "X-Community-Id": self.community.id, "Idempotency-Key": key})
        return await resp.json()


@pytest.fixture
def kit(community: Community, clock: PinnedClock) -> Kit:
    return Kit(community, clock)
