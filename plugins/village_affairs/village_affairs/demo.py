"""Demo data (`seed_demo_data`): this year's standard catalogue, last quarter's finances
disclosed, and a scheduled decision. Idempotent: rows have deterministic ids."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from community_plus_sdk import ConflictError, ModuleContext
from community_plus_sdk.clock import CHINA

from .catalogue import STANDARD


def demo_id(community_id: str, key: str) -> str:
    return hashlib.sha256(f"village_affairs:{community_id}:{key}".encode()).hexdigest()[:24]


async def _put(ctx: ModuleContext, name: str, row: dict[str, Any]) -> int:
    coll = ctx.collection(name)
    if await coll.find_one({"_id": row["_id"]}) is not None:
        return 0
    try:
        await coll.insert(row)
    except ConflictError:
        return 0
    return 1


async def seed(ctx: ModuleContext, community_id: str) -> int:
    """Add the demo rows missing in a community; returns how many were created."""
    local = ctx if ctx.community_id == community_id else ctx.for_community(community_id)
    now = local.now()
    year = now.astimezone(CHINA).year
    created = 0
    for i, (category, title, frequency) in enumerate(STANDARD):
        created += await _put(local, "requirements", {"_id": demo_id(community_id, f"r{year}{i}"), "year": year,
                                                      "category": category, "title": title, "frequency": frequency})
    last_month = (now.astimezone(CHINA).replace(day=1) - timedelta(days=1))
    base = {"attachmentIds": [], "withdrawn": False, "readCount": 0, "questionCount": 0, "expiresAt": None,
            "publishedBy": {"userId": None, "name": "村（居）务监督委员会"}}
    created += await _put(local, "disclosures", {  # last month's finances, fulfilling this year's item
        **base, "_id": demo_id(community_id, f"d{year}fin"), "category": "finances",
        "title": f"{last_month.month}月村集体财务收支公开", "period": last_month.strftime("%Y-%m"),
        "requirementId": demo_id(community_id, f"r{year}0") if last_month.year == year else None,
        "publishAt": now - timedelta(days=3),
        "body": "本月收入：集体资产租赁收入 12.6 万元；支出：道路维修 3.2 万元、环境整治 1.8 万元。"})
    created += await _put(local, "disclosures", {
        **base, "_id": demo_id(community_id, f"d{year}dec"), "category": "decisions", "title": "关于新建村民活动中心的决议",
        "period": None, "requirementId": None, "publishAt": now + timedelta(days=2),
        "body": "经村民代表会议表决通过，拟于村委会东侧新建村民活动中心。"})
    return created
