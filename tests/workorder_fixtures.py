"""Fixtures for catalogue and work-order tests: resident sessions and a published item."""

from __future__ import annotations

import pytest

from community_plus_harness import resident_token as sdk_resident_token

FORM = {"type": "object", "required": ["phone", "preferredDate"], "additionalProperties": False, "properties": {
    "phone": {"type": "string", "format": "phone"},
    "preferredDate": {"type": "string", "format": "date"},
    "count": {"type": "number", "minimum": 1, "maximum": 5},
    "services": {"type": "array", "items": {"enum": ["清洁", "助浴"]}, "uniqueItems": True},
    "idNumber": {"type": "string", "format": "id-number"},
    "photo": {"type": "string", "format": "file-id"},
}}
GOOD_ANSWERS = {"phone": "13812345678", "preferredDate": "2026-12-01", "count": 2, "services": ["清洁"]}

CREATE_ITEM = """mutation($input: ServiceItemInput!) { createServiceItem(input: $input) {
  id state formVersion version kind eligibility { tags ageMin } } }"""
SET_STATE = "mutation($id: ID!, $s: ServiceItemState!) { setServiceItemState(id: $id, state: $s) { state version } }"
SUBMIT = """mutation($input: SubmitWorkOrderInput!) { submitWorkOrder(input: $input) {
  id state kind title gridId dueAt version residentId timeline { action toState } } }"""


async def resident_token(platform, resident: dict) -> str:
    """A logged-in resident bound to `resident` (the SDK harness's helper)."""
    return await sdk_resident_token(platform, resident["_id"])


@pytest.fixture
async def published_item(gql, world):
    token = await gql.login("admin001")
    item = (await gql.ok(CREATE_ITEM, {"input": {"title": "居家保洁", "kind": "VOLUNTEER", "slaHours": 24,
                                                 "form": FORM}}, token=token))["createServiceItem"]
    await gql.ok(SET_STATE, {"id": item["id"], "s": "PUBLISHED"}, token=token)
    return item


@pytest.fixture
async def resident1(platform, world):
    """A resident of the first community with a session."""
    doc = await platform.residents.coll.find_one({"communityId": world["communities"][0]["_id"], "relation": "self"})
    return {"doc": doc, "token": await resident_token(platform, doc)}
