"""`community-plus seed`: a realistic demo province, idempotent (run it twice, get the same data)."""

from __future__ import annotations

import functools
import math
import random
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from bson import ObjectId

from . import demo_data as dd
from .context import Platform
from .repositories.residents import as_datetime_utc
from .security.passwords import hash_password
from .seed_services import seed_service_items, seed_work_orders

DEMO_PASSWORD = "community-plus"
Progress = Callable[[str, int, int], None]  # (task, advance, total)


def _region(id: str, name: str, level: str, parent: dict | None, **extra: Any) -> dict[str, Any]:
    path = [*parent["path"], parent["_id"]] if parent else []
    return {"_id": id, "name": name, "level": level, "parentId": parent["_id"] if parent else None,
            "path": path, "code": id, **extra}


async def seed_regions(platform: Platform, communities: int) -> list[dict[str, Any]]:
    """Province → city → districts → streets → communities; returns the communities."""
    streets_n = max(1, math.ceil(communities / 3))
    districts_n = min(len(dd.DISTRICTS), max(1, math.ceil(streets_n / 2)))
    province = _region(dd.PROVINCE[0], dd.PROVINCE[1], "province", None)
    city = _region(dd.CITY[0], dd.CITY[1], "city", province)
    docs = [province, city]
    districts = [_region(code, name, "district", city) for code, name in dd.DISTRICTS[:districts_n]]
    docs += districts
    streets = [_region(f"{districts[s % districts_n]['_id']}{s + 1:03d}", dd.STREETS[s % len(dd.STREETS)], "street",
                       districts[s % districts_n]) for s in range(streets_n)]
    docs += streets
    result = []
    for c in range(communities):
        street = streets[c % streets_n]
        lon, lat = dd.community_origin(c)
        comm = _region(f"{street['_id']}{c + 1:03d}", dd.community_name(c), "community", street,
                       location={"type": "Point", "coordinates": [lon + 0.006, lat + 0.004]}, seedIndex=c)
        result.append(comm)
    docs += result
    for d in docs:
        await platform.regions.upsert(d)
    return result


@functools.cache
def _demo_password_hash() -> str:
    """Every demo account has the same password: hash it once (argon2 is deliberately slow)."""
    return hash_password(DEMO_PASSWORD)


async def _upsert_user(platform: Platform, username: str, role: str, display: str, **scope: Any) -> dict:
    existing = await platform.users.by_username(username)
    if existing:
        return existing
    doc = {"_id": str(ObjectId()), "username": username, "passwordHash": _demo_password_hash(),
           "role": role, "displayName": display, "createdAt": datetime.now(UTC), **scope}
    await platform.users.insert(doc)
    return doc


async def seed_grids_and_staff(platform: Platform, community: dict, grids: int, rng: random.Random) -> list[dict]:
    idx = community["seedIndex"]
    existing = {g["_id"]: g for g in await platform.grids.of_community(community["_id"])}
    result = []
    for g, boundary in enumerate(dd.grid_boundaries(idx, grids)):
        gid = f"{community['_id']}-g{g + 1}"
        worker = await _upsert_user(platform, f"gw{community['_id'][-3:]}{g + 1}", "grid_worker",
                                    dd.person_name(rng, rng.choice(["male", "female"])) + "（网格员）",
                                    communityId=community["_id"], gridIds=[gid], phone=dd.phone(rng))
        doc = existing.get(gid) or {
            "_id": gid, "communityId": community["_id"], "regionPath": [*community["path"], community["_id"]],
            "name": f"第{g + 1}网格", "boundary": boundary, "workerIds": [worker["_id"]],
            "createdAt": datetime.now(UTC)}
        if gid not in existing:
            await platform.grids.insert(doc)
        result.append(doc)
    await _upsert_user(platform, f"admin{community['_id'][-3:]}", "community_admin",
                       f"{community['name']}管理员", communityId=community["_id"])
    return result


def _households(rng: random.Random, community: dict, grids: list[dict], count: int,
                serials: dict[tuple[str, date, str], int]) -> list[dict[str, Any]]:
    """Deterministic residents of one community, grouped into households.

    `serials` numbers people sharing an area code, birth date and sex across the whole seed,
    so every generated ID number is unique (it is filled in the same order on every run)."""
    today = date.today()
    area = community["path"][2] if len(community["path"]) > 2 else "320102"
    people: list[dict[str, Any]] = []
    n = 0
    while n < count:
        grid = grids[rng.randrange(len(grids))]
        building = rng.randint(1, 30)
        address = {"building": f"{building}栋", "unit": f"{rng.randint(1, 4)}单元",
                   "room": f"{rng.randint(1, 18)}{rng.randint(1, 4):02d}"}
        size = min(rng.choice([1, 1, 2, 2, 3, 3, 3, 4, 5]), count - n)
        registered = rng.random() > 0.15
        head_age = rng.randint(25, 92)
        household_key = f"{community['_id']}-{n}"
        for k in range(size):
            if k == 0:
                relation, age = "self", head_age
            elif k == 1:
                relation, age = "spouse", max(20, head_age + rng.randint(-5, 5))
            else:
                relation, age = "child", max(0, head_age - rng.randint(22, 35))
            gender = rng.choice(["male", "female"])
            birth = dd.birth_date(rng, today, age, age)
            tags = set()
            if age >= 60:
                tags.add("elderly")
                if size == 1:
                    tags.add("living_alone")
            if age < 14:
                tags.add("child")
            if rng.random() < 0.02:
                tags.add("disabled")
            if rng.random() < 0.05:
                tags.add("low_income")
            if (age >= 60 or age < 14) and rng.random() < 0.05:
                tags.add("left_behind")
            if age > 40 and rng.random() < 0.01:
                tags.add("veteran")
            if not registered:
                tags.add("new_citizen")
            people.append({
                "seedKey": f"{community['_id']}-{n}", "householdKey": household_key, "name": dd.person_name(rng, gender),
                "gender": gender, "birthDate": as_datetime_utc(birth), "relation": relation, "address": address,
                "idNumber": dd.id_number(area, birth, _serial(serials, area, birth, gender), gender),
                "phone": dd.phone(rng) if age >= 16 else None,
                "communityId": community["_id"], "regionPath": [*community["path"], community["_id"]],
                "gridId": grid["_id"], "registered": registered, "tags": sorted(tags),
            })
            n += 1
    return people


def _serial(serials: dict[tuple[str, date, str], int], area: str, birth: date, gender: str) -> int:
    key = (area, birth, gender)
    n = serials.get(key, 0)
    serials[key] = n + 1
    if n >= 500:
        raise ValueError(f"more than 500 demo residents of one sex born on {birth} in area {area}")
    return n


async def seed_residents(platform: Platform, community: dict, grids: list[dict], count: int,
                         rng: random.Random, progress: Progress,
                         serials: dict[tuple[str, date, str], int] | None = None) -> int:
    coll = platform.residents.coll
    have = set(await coll.distinct("seedKey", {"communityId": community["_id"]}))
    people = _households(rng, community, grids, count, {} if serials is None else serials)
    household_ids: dict[str, str] = {}
    existing_heads = await coll.find({"communityId": community["_id"], "relation": "self"},
                                     {"householdKey": 1, "householdId": 1}).to_list()
    household_ids.update({d["householdKey"]: d["householdId"] for d in existing_heads if "householdKey" in d})
    now = datetime.now(UTC)
    batch: list[dict[str, Any]] = []
    created = 0
    for person in people:
        if person["seedKey"] in have:
            progress("residents", 1, 0)
            continue
        doc_id = str(ObjectId())
        household_ids.setdefault(person["householdKey"], doc_id)
        doc = {"_id": doc_id, **person, "householdId": household_ids[person["householdKey"]],
               "createdAt": now, "updatedAt": now, "version": 1}
        batch.append(platform.residents.seal(doc))
        if len(batch) >= 500:
            await platform.residents.insert_many(batch)
            created += len(batch)
            progress("residents", len(batch), 0)
            batch = []
    await platform.residents.insert_many(batch)
    created += len(batch)
    progress("residents", len(batch), 0)
    return created


async def seed(platform: Platform, communities: int = 12, residents_per_community: int = 2000,
               grids_per_community: int = 6, work_orders_per_community: int = 40, progress: Progress | None = None,
               extra: Callable[[Platform, list[dict]], Any] | None = None) -> dict[str, int]:
    """Build (or complete) the demo province. Safe to run repeatedly."""
    progress = progress or (lambda task, advance, total: None)
    progress("residents", 0, communities * residents_per_community)
    await _upsert_user(platform, "admin", "platform_admin", "平台管理员")
    comms = await seed_regions(platform, communities)
    city = dd.CITY[0]
    await _upsert_user(platform, "nanjing", "region_admin", "南京市管理员", regionId=city)
    created = orders = 0
    serials: dict[tuple[str, date, str], int] = {}
    for community in comms:
        rng = random.Random(f"community-plus:{community['_id']}")
        grids = await seed_grids_and_staff(platform, community, grids_per_community, rng)
        created += await seed_residents(platform, community, grids, residents_per_community, rng, progress, serials)
    items = await seed_service_items(platform, comms)
    for community in comms:
        orders += await seed_work_orders(platform, community, items[community["_id"]], work_orders_per_community)
    if extra is not None:
        await extra(platform, comms)
    return {"communities": len(comms), "residents_created": created, "work_orders_created": orders}
