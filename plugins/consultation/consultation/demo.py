"""Demo data (`seed_demo_data`): an open vote, a hearing and a resolved evaluation in the
archive. Idempotent: rows have deterministic ids."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from community_plus_sdk import ConflictError, ModuleContext

from .topics import ALL_RESIDENTS, EVALUATION, EVALUATION_OPTIONS, HEARING, HOUSEHOLD_HEADS, OPEN, RESOLVED, VOTE


def demo_id(community_id: str, key: str) -> str:
    return hashlib.sha256(f"consultation:{community_id}:{key}".encode()).hexdigest()[:24]


def _topics(community_id: str, now: datetime) -> list[dict[str, Any]]:
    base = {"gridId": None, "voterCount": 0, "opinionCount": 0, "ballotWrites": 0, "hearingAt": None,
            "location": None, "resolution": None, "resolvedAt": None,
            "openedBy": {"userId": None, "name": "社区居委会", "role": "community_admin"}}
    options = lambda labels: [{"id": f"o{i + 1}", "label": x} for i, x in enumerate(labels)]  # noqa: E731
    return [
        {**base, "_id": demo_id(community_id, "t1"), "kind": VOTE, "title": "小区增设电动自行车充电桩选址",
         "body": "拟在小区内增设集中充电点，请户主选择选址方案。", "audience": HOUSEHOLD_HEADS, "state": OPEN,
         "options": options(["东门车棚", "3号楼北侧空地", "地下车库入口"]), "deadline": now + timedelta(days=14)},
        {**base, "_id": demo_id(community_id, "t2"), "kind": HEARING, "title": "老旧小区加装电梯听证会",
         "body": "就加装电梯的费用分摊方案听取居民意见。", "audience": ALL_RESIDENTS, "state": OPEN, "options": [],
         "deadline": now + timedelta(days=10), "hearingAt": now + timedelta(days=7), "location": "社区党群服务中心二楼"},
        {**base, "_id": demo_id(community_id, "t3"), "kind": EVALUATION, "title": "物业服务季度评议",
         "body": "请对本季度物业服务进行评议。", "audience": ALL_RESIDENTS, "state": RESOLVED,
         "options": options(EVALUATION_OPTIONS), "deadline": now - timedelta(days=20),
         "resolution": {"text": "评议结果已反馈物业公司，限期整改绿化养护问题。", "byName": "社区居委会", "byUserId": None},
         "resolvedAt": now - timedelta(days=18), "finalTally": {"total": 0, "options": {}, "grids": {}}},
    ]


async def seed(ctx: ModuleContext, community_id: str) -> int:
    """Add the demo topics missing in a community; returns how many were created."""
    local = ctx if ctx.community_id == community_id else ctx.for_community(community_id)
    topics = local.collection("topics")
    created = 0
    for row in _topics(community_id, local.now()):
        if await topics.find_one({"_id": row["_id"]}) is None:
            try:
                await topics.insert(row)
                created += 1
            except ConflictError:
                pass
    return created
