"""Shared set-up for the elder_care tests: the SDK harness (`community`) with only this module
enabled, and a `care` world — a provider with a catalogue, an enrolled elder (resident 0,
born 1940, in grid 1) with a guardian (resident 1), and a care worker bound to the
second grid worker's account."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest

from community_plus_harness import Community, GraphQLClient

HOME = (118.7969, 32.0603)  # the elder's home (longitude, latitude)
NEAR = (118.7975, 32.0606)  # ~65 m away
FAR = (118.8200, 32.0800)  # ~3 km away

ORDER_FIELDS = """id state elderId providerId itemId workerId workerName totalFen subsidyFen paidFen subsidisedMinutes
 subsidyRule slotStart slotEnd month overdue rating photoIds serviceSummary actualMinutes
 checkIn { distanceMeters lateMinutes } checkOut { distanceMeters } timeline { action fromState toState actorRole }"""

PLACE = "mutation($i: PlaceCareOrderInput!) { placeCareOrder(input: $i) { %s } }" % ORDER_FIELDS
DISPATCH = "mutation($id: ID!, $w: ID!) { dispatchCareOrder(id: $id, workerId: $w) { %s } }" % ORDER_FIELDS
CHECK_IN = "mutation($i: CareCheckInInput!) { checkInCareVisit(input: $i) { %s } }" % ORDER_FIELDS
CHECK_OUT = "mutation($i: CareCheckOutInput!) { checkOutCareVisit(input: $i) { %s } }" % ORDER_FIELDS
CONFIRM = "mutation($i: ConfirmCareOrderInput!) { confirmCareOrder(input: $i) { %s } }" % ORDER_FIELDS
CANCEL = "mutation($id: ID!, $r: String) { cancelCareOrder(id: $id, reason: $r) { %s } }" % ORDER_FIELDS
ORDER = "query($id: ID!) { careOrder(id: $id) { %s } }" % ORDER_FIELDS
SAVE_ELDER = """mutation($i: SaveElderProfileInput!) { saveElderProfile(input: $i) {
  id name age tags gridId guardianResidentIds version
  subsidy { rule entitledMinutes usedMinutes remainingMinutes } } }"""
REGISTER_WORKER = """mutation($i: RegisterCareWorkerInput!) { registerCareWorker(input: $i) {
  id bindingCode bound canDispatch } }"""
BIND = "mutation($c: String!) { bindCareWorkerAccount(code: $c) { id bound bindingCode userName } }"
UPDATE_RESIDENT = """mutation($id: ID!, $i: UpdateResidentInput!) { updateResident(id: $id, input: $i) { id } }"""


def soon(minutes: int = 30) -> str:
    return (datetime.now(UTC) + timedelta(minutes=minutes)).isoformat()


def month_of(iso: str) -> str:
    from community_plus_sdk.clock import month_of as m

    return m(datetime.fromisoformat(iso))


async def staff_client(community: Community, username: str) -> GraphQLClient:
    data = await community.anonymous().ok(
        "mutation($u: String!, $p: String!) { loginWithPassword(username: $u, password: $p) { accessToken } }",
        {"u": username, "p": "community-plus"})
    return GraphQLClient(community.http, data["loginWithPassword"]["accessToken"], community.id)


async def upload_photo(community: Community, client: GraphQLClient) -> str:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 120, 40)).save(buf, "JPEG")
    form = aiohttp.FormData()
    form.add_field("purpose", "photo")
    form.add_field("file", buf.getvalue(), filename="visit.jpg", content_type="image/jpeg")
    resp = await community.http.post("/upload", data=form, headers={"Authorization": f"Bearer {client.token}",
                                                                    "X-Community-Id": community.id})
    body = await resp.json()
    assert resp.status == 200, body
    return body["id"]


@dataclass
class CareWorld:
    """The test world; test modules reach every helper through this fixture object."""

    HOME, NEAR, FAR = HOME, NEAR, FAR
    ORDER_FIELDS, PLACE, DISPATCH, CHECK_IN, CHECK_OUT = ORDER_FIELDS, PLACE, DISPATCH, CHECK_IN, CHECK_OUT
    CONFIRM, CANCEL, ORDER = CONFIRM, CANCEL, ORDER
    SAVE_ELDER, REGISTER_WORKER, BIND = SAVE_ELDER, REGISTER_WORKER, BIND
    soon = staticmethod(soon)
    month_of = staticmethod(month_of)

    community: Community
    admin: GraphQLClient
    gw1: GraphQLClient  # grid worker of grid 1 (the elder's grid)
    gw2: GraphQLClient  # grid worker of grid 2, bound as care worker `worker_id`
    elder: GraphQLClient  # resident 0, the enrolled elder
    guardian: GraphQLClient  # resident 1, the elder's guardian
    stranger: GraphQLClient  # resident 2, unrelated
    provider_id: str = ""
    items: dict[str, str] = field(default_factory=dict)  # category → item id
    worker_id: str = ""

    @property
    def elder_id(self) -> str:
        return self.community.resident_ids[0]

    async def set_resident(self, index: int, **changes: Any) -> None:
        await self.admin.ok(UPDATE_RESIDENT, {"id": self.community.resident_ids[index], "i": changes})

    async def enrol(self, index: int, guardians: list[int] | None = None, birth: str = "1940-05-01",
                    tags: list[str] | None = None, grid: int = 0) -> dict[str, Any]:
        await self.set_resident(index, birthDate=birth, tags=tags or ["ELDERLY"],
                                gridId=self.community.grid_ids[grid])
        data = await self.admin.ok(SAVE_ELDER, {"i": {
            "residentId": self.community.resident_ids[index], "homeAddress": "3栋2单元501", "longitude": HOME[0],
            "latitude": HOME[1], "guardianResidentIds": [self.community.resident_ids[g] for g in guardians or []]}})
        return data["saveElderProfile"]

    async def add_item(self, name: str, category: str, price_fen: int, minutes: int) -> str:
        data = await self.admin.ok(
            "mutation($i: CreateCareServiceItemInput!) { createCareServiceItem(input: $i) { id } }",
            {"i": {"name": name, "category": category, "priceFen": price_fen, "durationMinutes": minutes}})
        return data["createCareServiceItem"]["id"]

    async def add_provider(self, name: str, categories: list[str]) -> str:
        data = await self.admin.ok("mutation($i: CreateCareProviderInput!) { createCareProvider(input: $i) { id } }",
                                   {"i": {"name": name, "categories": categories, "contactPhone": "13912345678"}})
        return data["createCareProvider"]["id"]

    async def add_worker(self, client: GraphQLClient, provider_id: str | None = None, name: str = "张护理",
                         can_dispatch: bool = False, skills: list[str] | None = None) -> str:
        data = await self.admin.ok(REGISTER_WORKER, {"i": {"providerId": provider_id or self.provider_id,
                                                           "name": name, "phone": "13800138000",
                                                           "canDispatch": can_dispatch, "skills": skills}})
        worker = data["registerCareWorker"]
        await client.ok(BIND, {"c": worker["bindingCode"]})
        return worker["id"]

    async def place(self, client: GraphQLClient | None = None, category: str = "cleaning", minutes: int = 30,
                    **extra: Any) -> dict[str, Any]:
        data = await (client or self.elder).ok(PLACE, {"i": {"itemId": self.items[category],
                                                             "slotStart": soon(minutes), **extra}})
        return data["placeCareOrder"]

    async def dispatched(self, **kw: Any) -> dict[str, Any]:
        order = await self.place(**kw)
        return (await self.admin.ok(DISPATCH, {"id": order["id"], "w": self.worker_id}))["dispatchCareOrder"]

    async def upload_photo(self, client: GraphQLClient) -> str:
        return await upload_photo(self.community, client)

    async def staff_client(self, username: str) -> GraphQLClient:
        return await staff_client(self.community, username)

    async def call_hook(self, hook: str, **kwargs: Any) -> Any:
        return await call_hook(self.community, hook, **kwargs)

    async def user_id(self, client: GraphQLClient) -> str:
        return (await client.ok("{ me { id } }"))["me"]["id"]


@pytest.fixture
def cp_modules() -> list[str]:
    return ["elder_care"]


@pytest.fixture
async def care(community: Community) -> CareWorld:
    suffix = community.id[-3:]
    world = CareWorld(community=community, admin=community.client("community_admin"),
                      gw1=community.client("grid_worker"), gw2=await staff_client(community, f"gw{suffix}2"),
                      elder=community.client("resident"), guardian=await community.resident_client(1),
                      stranger=await community.resident_client(2))
    world.provider_id = await world.add_provider("颐康居家养老服务中心", ["cleaning", "bathing", "companionship"])
    world.items = {"cleaning": await world.add_item("居家保洁", "cleaning", 6000, 120),  # 60 yuan, 2 h
                   "bathing": await world.add_item("助浴", "bathing", 8000, 60),
                   "companionship": await world.add_item("陪伴聊天", "companionship", 4000, 60)}
    await world.enrol(0, guardians=[1])
    world.worker_id = await world.add_worker(world.gw2)
    return world


async def call_hook(community: Community, hook: str, **kwargs: Any) -> Any:
    """Call one of this module's hooks the way the server does (system context)."""
    results = await community.call_hook("elder_care", hook, **kwargs)
    assert len(results) == 1, f"hook {hook} failed (see the log)"
    return results[0]
