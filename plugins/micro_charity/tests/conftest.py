"""Fixtures for the micro_charity tests. The SDK harness provides `community` (a running
server on a real database with this module enabled in community 1); `kit` adds GraphQL
snippets and helpers (a fixture, because `conftest` is not importable by name here)."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from PIL import Image

MODULE = "micro_charity"


@pytest.fixture
def cp_modules() -> list[str]:
    """Only this module: the tests do not depend on what else is installed."""
    return [MODULE]


@pytest.fixture
def kit(community: Any) -> Kit:
    return Kit(community)


class Kit:
    """GraphQL snippets and helpers bound to the test community."""

    WISH_FIELDS = """id alias gridId title description category photos estimatedValueFen state claimantName
        claimedAt fulfilledAt proofPhotos proofNote completedAt thanks createdAt isMine claimedByMe reviewNote"""
    POST_WISH = f"""mutation($input: CharityWishInput!) {{ postCharityWish(input: $input) {{ {WISH_FIELDS} }} }}"""
    PUBLIC_WISHES = f"""query($id: ID!) {{ charityWish(id: $id) {{ {WISH_FIELDS} }}
        charityWishes(first: 50) {{ totalCount edges {{ node {{ {WISH_FIELDS} }} }} }} }}"""

    def __init__(self, community: Any) -> None:
        self.community = community

    @staticmethod
    def key() -> str:
        """A fresh idempotency key."""
        return uuid.uuid4().hex

    @staticmethod
    def iso(delta: timedelta) -> str:
        return (datetime.now(UTC) + delta).isoformat()

    @staticmethod
    def paths(error: dict[str, Any]) -> set[str]:
        """The field paths a BAD_USER_INPUT error names."""
        return {f["path"] for f in error["extensions"].get("fields", [])}

    async def upload_photo(self, client: Any) -> str:
        """Upload a small PNG the way wx.uploadFile does; returns the file id."""
        buf = io.BytesIO()
        Image.new("RGB", (32, 32), (200, 30, 30)).save(buf, format="PNG")
        form = aiohttp.FormData()
        form.add_field("purpose", "photo")
        form.add_field("file", buf.getvalue(), filename="proof.png", content_type="image/png")
        resp = await self.community.http.post("/upload", data=form, headers={
            "Authorization": f"Bearer {client.token}", "X-Community-Id": self.community.id})
        body = await resp.json()
        assert resp.status == 200, body
        return body["id"]

    async def grant_points(self, resident_index: int, delta: int) -> dict[str, Any]:
        """An admin's adjustment (a ledger entry) for resident `resident_index`."""
        data = await self.community.client("community_admin").ok(
            """mutation($r: ID!, $d: Int!) { adjustCharityPoints(residentId: $r, delta: $d, reason: "测试发放")
            { balance earned spent } }""", {"r": self.community.resident_ids[resident_index], "d": delta})
        return data["adjustCharityPoints"]
