"""Demo service items of all three kinds and realistic work orders across every state."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from bson import ObjectId

from community_plus.domains.platform import Platform
from community_plus.demo.repository import DemoRepository
from community_plus.domains.work_orders.numbering import number_all

TEXT = {"type": "string", "maxLength": 200}
REGION_ITEMS = [  # published by the city for every community below it
    ("高龄津贴申请", "public", "民政", "南京市民政局", ["elderly"], 80, None, True, 120,
     {"type": "object", "required": ["bankAccount", "phone"], "additionalProperties": False, "properties": {
         "bankAccount": {"type": "string", "title": "社保卡银行账号", "pattern": "^[0-9]{12,19}$"},
         "phone": {"type": "string", "format": "phone", "title": "联系电话"},
         "idPhoto": {"type": "string", "format": "file-id", "title": "身份证照片"}}}),
    ("灵活就业登记", "public", "就业", "区人社局", [], 16, 60, False, 72,
     {"type": "object", "required": ["skills"], "properties": {
         "skills": {"type": "array", "items": {"enum": ["家政", "维修", "餐饮", "物流", "其他"]}, "uniqueItems": True,
                    "minItems": 1, "title": "技能"},
         "expectedPay": {"type": "number", "minimum": 0, "maximum": 100000, "title": "期望月薪"}}}),
    ("残疾人两项补贴", "public", "残联", "区残联", ["disabled"], None, None, False, 168,
     {"type": "object", "required": ["certificateNo"], "properties": {
         "certificateNo": {"type": "string", "maxLength": 30, "title": "残疾人证号"},
         "certificate": {"type": "string", "format": "file-id", "title": "残疾人证照片"}}}),
]
COMMUNITY_ITEMS = [
    ("上门理发", "volunteer", "志愿服务", "社区志愿者协会", ["elderly", "disabled"], None, None, False, 72,
     {"type": "object", "required": ["preferredDate"], "properties": {
         "preferredDate": {"type": "string", "format": "date", "title": "期望日期"},
         "note": TEXT}}),
    ("家电维修", "commercial", "便民服务", "邻里便民服务站", [], 18, None, False, 48,
     {"type": "object", "required": ["appliance", "phone"], "properties": {
         "appliance": {"type": "string", "enum": ["空调", "冰箱", "洗衣机", "热水器", "其他"], "title": "电器"},
         "phone": {"type": "string", "format": "phone", "title": "联系电话"},
         "photos": {"type": "array", "items": {"type": "string", "format": "file-id"}, "maxItems": 3}}}),
    ("代办居住证", "public", "户籍", "社区党群服务中心", ["new_citizen"], 16, None, False, 96,
     {"type": "object", "required": ["idNumber"], "properties": {
         "idNumber": {"type": "string", "format": "id-number", "title": "身份证号"},
         "moveInDate": {"type": "string", "format": "date", "title": "入住日期"}}}),
]
REPORTS = ["楼道灯不亮了", "小区门口路面塌陷", "垃圾桶满了没人清运", "电动车在楼道充电", "下水道堵塞有异味", "路灯损坏"]
NOTES = ["已联系物业", "已上门查看", "已处理完毕", "已协调相关部门"]


def _item(title, kind, category, provider, tags, age_min, age_max, reg, sla, form, owner: dict, now) -> dict[str, Any]:
    is_community = owner["level"] == "community"
    return {"_id": f"item-{owner['_id']}-{title}",
            "communityId": owner["_id"] if is_community else None, "regionId": None if is_community else owner["_id"],
            "regionPath": [*owner["path"], owner["_id"]], "title": title, "description": f"{title}（{provider}）",
            "kind": kind, "category": category, "provider": provider, "materials": ["身份证"],
            "eligibility": {"tags": tags, "ageMin": age_min, "ageMax": age_max, "registrationRequired": reg},
            "slaHours": sla, "form": form, "formVersion": 1, "state": "published", "version": 1,
            "createdAt": now, "updatedAt": now}


async def seed_service_items(platform: Platform, communities: list[dict]) -> dict[str, list[dict]]:
    """Upsert the demo catalogue; returns the items usable in each community."""
    now = datetime.now(UTC)
    city = await platform.regions.get(communities[0]["path"][1])
    regional = [_item(*spec, owner=city, now=now) for spec in REGION_ITEMS]
    usable: dict[str, list[dict]] = {}
    docs = list(regional)
    for c in communities:
        local = [_item(*spec, owner=c, now=now) for spec in COMMUNITY_ITEMS]
        docs += local
        usable[c["_id"]] = regional + local
    seeded = DemoRepository(platform.db)
    for d in docs:
        await seeded.ensure_service_item(d, now)
    return usable


def _event(action, frm, to, at, actor, role, name, note=None) -> dict[str, Any]:
    return {"at": at, "action": action, "from": frm, "to": to, "note": note, "actorId": actor, "actorRole": role,
            "actorName": name}


async def seed_work_orders(platform: Platform, community: dict, items: list[dict], per_community: int) -> int:
    """Realistic orders spread over the last 60 days, in every state; skipped if present."""
    seeded = DemoRepository(platform.db)
    if per_community <= 0 or await seeded.has_seeded_orders(community["_id"]):
        return 0
    rng = random.Random(f"orders:{community['_id']}")
    admin = await platform.users.by_username(f"admin{community['_id'][-3:]}")
    residents = await seeded.residents_for_orders(community["_id"])
    if not residents or admin is None:
        return 0
    workers = {g["_id"]: g["workerIds"] for g in await platform.grids.of_community(community["_id"])}
    now = datetime.now(UTC)
    states = ["submitted", "accepted", "assigned", "in_progress", "resolved", "closed", "closed", "closed",
              "rejected", "cancelled"]
    docs = []
    for n in range(per_community):
        resident = rng.choice(residents)
        item = rng.choice(items) if rng.random() < 0.6 else None
        created = now - timedelta(days=rng.uniform(0, 60))
        state = rng.choice(states)
        sla = item["slaHours"] if item else 48
        worker = (workers.get(resident.get("gridId")) or [None])[0]
        timeline = [_event("submit", None, "submitted", created, "seed", "resident", "居民")]
        doc: dict[str, Any] = {
            "communityId": community["_id"], "regionPath": resident["regionPath"], "gridId": resident.get("gridId"),
            "kind": "service" if item else "report", "itemId": item["_id"] if item else None,
            "title": item["title"] if item else "问题上报", "formVersion": 1 if item else None, "answers": {},
            "description": "" if item else rng.choice(REPORTS), "location": None, "attachments": [],
            "residentId": resident["_id"], "residentTags": resident.get("tags", []), "submittedBy": "seed",
            "submittedByRole": "resident", "assigneeId": None, "dueAt": created + timedelta(hours=sla),
            "createdAt": created, "seeded": True}
        t = created
        path = {"submitted": [], "accepted": ["accept"], "assigned": ["accept", "assign"],
                "in_progress": ["accept", "assign", "start"], "resolved": ["accept", "assign", "start", "resolve"],
                "closed": ["accept", "assign", "start", "resolve", "rate"], "rejected": ["reject"],
                "cancelled": ["cancel"]}[state]
        prev = "submitted"
        for action in path:
            t = min(now, t + timedelta(hours=rng.uniform(1, sla * 0.8)))
            to = {"accept": "accepted", "assign": "assigned", "start": "in_progress", "resolve": "resolved",
                  "rate": "closed", "reject": "rejected", "cancel": "cancelled"}[action]
            role, actor, name = {"accept": ("community_admin", admin["_id"], admin["displayName"]),
                                 "assign": ("community_admin", admin["_id"], admin["displayName"]),
                                 "reject": ("community_admin", admin["_id"], admin["displayName"]),
                                 "start": ("grid_worker", worker or "", "网格员"),
                                 "resolve": ("grid_worker", worker or "", "网格员"),
                                 "rate": ("resident", "seed", "居民"), "cancel": ("resident", "seed", "居民")}[action]
            note = rng.choice(NOTES) if action == "resolve" else ("材料不全" if action == "reject" else None)
            timeline.append(_event(action, prev, to, t, actor, role, name, note))
            doc[{"accept": "acceptedAt", "assign": "assignedAt", "start": "startedAt", "resolve": "resolvedAt",
                 "rate": "closedAt", "reject": "rejectedAt", "cancel": "cancelledAt"}[action]] = t
            if action == "assign":
                doc["assigneeId"] = worker
            if action == "rate":
                doc["rating"] = {"score": rng.choices([5, 4, 3, 2, 1], [50, 30, 10, 6, 4])[0], "comment": None, "at": t}
            if action == "reject":
                doc["rejectReason"] = note
            prev = to
        doc.update(state=state, timeline=timeline, updatedAt=t, version=len(timeline))
        docs.append(doc)
    docs.sort(key=lambda d: d["createdAt"])
    for d in docs:  # ids that sort by creation time, like live orders
        d["_id"] = str(ObjectId.from_datetime(d["createdAt"]))[:8] + str(ObjectId())[8:]
    await number_all(platform, docs)  # readable numbers like live orders (GD<day>-<n>)
    await seeded.insert_orders(docs)
    return len(docs)
