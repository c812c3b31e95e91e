"""Demo data: two canteens and a week of menus (idempotent: fixed ids, re-running adds nothing)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from community_plus_sdk import ConflictError, ModuleContext

from .common import CANTEENS, MENUS, key_id
from .rules import Rules, day_key

CANTEENS_DEMO = [
    {"name": "幸福里长者食堂", "address": "幸福里社区服务中心一楼", "phone": "13800138000",
     "opening_hours": "06:30-08:30,10:30-13:00,16:30-18:30", "capacity_per_meal": 120,
     "meals": ["breakfast", "lunch", "dinner"], "delivery_available": True, "active": True},
    {"name": "邻里中心助餐点", "address": "邻里中心二楼", "phone": "13900139000",
     "opening_hours": "10:30-13:00", "capacity_per_meal": 60, "meals": ["lunch"], "delivery_available": False,
     "active": True},
]

DISHES: dict[str, list[list[tuple[str, int, list[str]]]]] = {
    "breakfast": [[("小米南瓜粥", 150, ["soft_food", "low_salt"]), ("杂粮馒头", 100, ["diabetic_friendly"]),
                   ("水煮蛋", 150, ["low_salt"])],
                  [("燕麦牛奶", 300, ["diabetic_friendly", "soft_food"]), ("菜包", 150, ["vegetarian"]),
                   ("凉拌黄瓜", 200, ["low_fat", "vegetarian"])]],
    "lunch": [[("清蒸鲈鱼", 1200, ["low_salt", "soft_food"]), ("番茄炒蛋", 600, ["soft_food"]),
               ("清炒西兰花", 500, ["low_fat", "vegetarian", "diabetic_friendly"]), ("米饭", 100, [])],
              [("土豆炖牛肉", 1300, ["soft_food"]), ("蒜蓉油麦菜", 500, ["vegetarian", "low_salt"]),
               ("冬瓜排骨汤", 800, ["low_salt"]), ("杂粮饭", 150, ["diabetic_friendly"])]],
    "dinner": [[("肉末蒸蛋", 700, ["soft_food", "low_salt"]), ("香菇青菜", 500, ["vegetarian"]),
                ("小米粥", 150, ["soft_food"])],
               [("红烧豆腐", 600, ["soft_food", "vegetarian"]), ("清炒山药", 600, ["diabetic_friendly"]),
                ("南瓜饭", 200, ["soft_food"])]],
}


async def seed(ctx: ModuleContext, community_id: str) -> dict[str, int]:
    if ctx.community_id != community_id:
        ctx = ctx.for_community(community_id)
    rules = Rules.of(await ctx.settings())
    today = rules.today(ctx.now())
    created = {"canteens": 0, "menus": 0}
    for n, canteen in enumerate(CANTEENS_DEMO):
        cid = key_id(community_id, "demo-canteen", str(n))
        if await _insert(ctx, CANTEENS, {"_id": cid, **canteen, "createdBy": "seed"}):
            created["canteens"] += 1
        for offset in range(7):
            day = today + timedelta(days=offset)
            for meal in canteen["meals"]:
                dishes = DISHES[meal][(day.toordinal() + n) % len(DISHES[meal])]
                row = {"_id": key_id(community_id, "menu", cid, day.isoformat(), meal), "canteenId": cid,
                       "canteenName": canteen["name"], "date": day_key(day), "meal": meal,
                       "dishes": [{"id": f"d{i + 1}", "name": name, "priceFen": price, "nutritionTags": tags,
                                   "description": None} for i, (name, price, tags) in enumerate(dishes)],
                       "capacity": canteen["capacity_per_meal"], "orderedCount": 0,
                       "cutoffAt": rules.default_cutoff(day, meal), "status": "open", "note": None,
                       "createdBy": "seed"}
                if await _insert(ctx, MENUS, row):
                    created["menus"] += 1
    return created


async def _insert(ctx: ModuleContext, collection: str, row: dict[str, Any]) -> bool:
    try:
        await ctx.collection(collection).insert(row)
    except ConflictError:
        return False
    return True
