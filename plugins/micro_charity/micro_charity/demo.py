"""Demo rows for a community: a points catalogue, a project with a donation, an upcoming
volunteer activity and two open wishes. Rows have fixed ids, so seeding twice adds nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from community_plus_sdk import ConflictError, ModuleContext
from community_plus_sdk.clock import china_date, day_start

CATALOGUE = [
    ("rice", "东北大米 5kg", "志愿者专享兑换", 200, 20),
    ("detergent", "洗衣液 2L", "", 120, 30),
    ("haircut", "社区理发券", "社区便民理发点使用", 50, 50),
]
WISHES = [
    ("schoolbag", "想要一个新书包", "孩子上三年级了，旧书包已经破了，希望有一个结实的新书包。", "study", "小书包", 8000),
    ("walker", "需要一个助行器", "老人腿脚不便，想要一个可折叠的助行器，方便下楼晒太阳。", "health", "夕阳红", 20000),
]


async def _put(ctx: ModuleContext, collection: str, row: dict[str, Any]) -> bool:
    try:
        await ctx.collection(collection).insert(row)
        return True
    except ConflictError:
        return False


def _next_saturday_at(hour: int) -> datetime:
    today = china_date()
    day = today + timedelta(days=(5 - today.weekday()) % 7 or 7)
    return day_start(day) + timedelta(hours=hour)


async def seed(ctx: ModuleContext, community_id: str) -> int:
    """Insert the demo rows that are missing; returns how many were added."""
    if ctx.community_id != community_id:
        ctx = ctx.for_community(community_id)
    prefix = f"demo:{community_id}"
    added = 0
    for key, name, description, cost, stock in CATALOGUE:
        added += await _put(ctx, "catalogue_items", {"_id": f"{prefix}:item:{key}", "name": name,
                                                     "description": description, "points_cost": cost, "stock": stock,
                                                     "active": True})
    project = f"{prefix}:project:walkers"
    if await _put(ctx, "projects", {"_id": project, "title": "为独居老人添置助行器",
                                    "description": "为社区20位行动不便的独居老人每人配一台助行器。",
                                    "organiser": "社区居委会", "goalFen": 600000, "raisedFen": 50000, "pledgedFen": 0,
                                    "donationCount": 1, "pledgeCount": 0, "state": "open"}):
        added += 1
        await _put(ctx, "receipts", {"_id": f"{community_id}:DEMO-0001", "donationId": f"{prefix}:donation:1"})
        added += await _put(ctx, "donations", {"_id": f"{prefix}:donation:1", "projectId": project, "amountFen": 50000,
                                               "receiptNo": "DEMO-0001", "donorName": "社区爱心企业",
                                               "publicName": "社区爱心企业", "method": "bank_transfer",
                                               "recordedAt": datetime.now(UTC)})
    starts = _next_saturday_at(9)
    added += await _put(ctx, "activities", {"_id": f"{prefix}:activity:cleanup", "title": "周末社区环境清洁",
                                            "description": "清理楼道杂物、绿化带垃圾，提供手套和工具。",
                                            "location": "社区服务中心门口", "startsAt": starts,
                                            "endsAt": starts + timedelta(hours=2), "capacity": 20, "signedUp": 0,
                                            "pointsPerHour": (await ctx.settings()).points_per_volunteer_hour,
                                            "state": "open"})
    for key, title, description, category, alias, value in WISHES:
        added += await _put(ctx, "wishes", {"_id": f"{prefix}:wish:{key}", "title": title, "description": description,
                                            "category": category, "alias": alias, "photos": [],
                                            "estimatedValueFen": value, "gridId": None, "wisherResidentId": None,
                                            "postedByRole": "system", "contentVerdict": "pass", "state": "open"})
    return added
