"""Demo data for `community-plus seed` (`seed_demo_data`): providers, the catalogue and care
workers (unbound, with binding codes). Idempotent: rows have deterministic ids."""

from __future__ import annotations

import hashlib
from typing import Any

from community_plus_sdk import ConflictError, ModuleContext

from .workers import new_code

PROVIDERS = [
    ("p1", {"name": "颐康居家养老服务中心", "license_no": "52320102MJ0000001X", "contact_name": "王主任",
            "contact_phone": "13900001111", "address": "社区服务中心一楼",
            "categories": ["cleaning", "bathing", "meal_delivery", "companionship"]}),
    ("p2", {"name": "仁心护理站", "license_no": "52320102MJ0000002Y", "contact_name": "李护士长",
            "contact_phone": "13900002222", "address": "卫生服务站二楼",
            "categories": ["health_check", "hospital_escort", "companionship"]}),
]
ITEMS = [
    ("i1", "居家保洁", "cleaning", 6000, 120, "厨房、卫生间及起居室清洁"),
    ("i2", "助浴服务", "bathing", 8000, 60, "上门助浴，含防滑保护"),
    ("i3", "爱心送餐", "meal_delivery", 1500, 30, "午餐送达并协助用餐"),
    ("i4", "健康检查", "health_check", 5000, 45, "血压、血糖、用药检查"),
    ("i5", "陪伴聊天", "companionship", 4000, 60, "陪伴聊天、读报、散步"),
    ("i6", "陪同就医", "hospital_escort", 10000, 180, "陪同挂号、就诊、取药"),
]
WORKERS = [
    ("w1", "p1", "张秀兰", "13800001001", ["cleaning", "bathing", "companionship"], True),
    ("w2", "p1", "刘桂芳", "13800001002", ["cleaning", "meal_delivery", "companionship"], False),
    ("w3", "p1", "陈建国", "13800001003", ["bathing", "meal_delivery"], False),
    ("w4", "p2", "赵敏", "13800002001", ["health_check", "hospital_escort", "companionship"], True),
    ("w5", "p2", "孙丽", "13800002002", ["health_check", "companionship"], False),
]


def demo_id(community_id: str, key: str) -> str:
    return hashlib.sha256(f"elder_care:{community_id}:{key}".encode()).hexdigest()[:24]


async def _put(ctx: ModuleContext, collection: str, row: dict[str, Any]) -> bool:
    coll = ctx.collection(collection)
    if await coll.find_one({"_id": row["_id"]}) is not None:
        return False
    try:
        await coll.insert(row)
    except ConflictError:
        return False
    return True


async def seed(ctx: ModuleContext, community_id: str) -> int:
    """Add the demo rows missing in a community; returns how many were created."""
    local = ctx if ctx.community_id == community_id else ctx.for_community(community_id)
    created = 0
    names = {}
    for key, provider in PROVIDERS:
        names[key] = provider["name"]
        created += await _put(local, "providers", {"_id": demo_id(community_id, key), **provider, "active": True,
                                                    "intro": "示例机构 (demo provider)", "createdBy": "seed"})
    for key, name, category, price, minutes, description in ITEMS:
        created += await _put(local, "service_items", {
            "_id": demo_id(community_id, key), "name": name, "category": category, "price_fen": price,
            "duration_minutes": minutes, "details": description, "active": True, "createdBy": "seed"})
    for key, provider, name, phone, skills, dispatcher in WORKERS:
        created += await _put(local, "care_workers", {
            "_id": demo_id(community_id, key), "providerId": demo_id(community_id, provider),
            "providerName": names[provider], "name": name, "phone": phone, "skills": skills,
            "canDispatch": dispatcher, "active": True, "userId": None, "bindingCode": new_code(),
            "createdBy": "seed"})
    return created
