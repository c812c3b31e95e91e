"""`community-plus seed`: a realistic demo province, idempotent (run it twice, get the same data)."""

from __future__ import annotations

import functools
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from bson import ObjectId

from community_plus.demo import data as dd
from community_plus.domains.platform import Platform
from community_plus.domains.residents.repository import as_datetime_utc
from community_plus.platform.security.passwords import hash_password
from community_plus.demo.repository import DemoRepository
from community_plus.demo.services import seed_service_items, seed_work_orders
from community_plus.demo.staff_accounts import seed_governance

DEMO_PASSWORD = "community-plus"
MAX_COMMUNITIES = 60
SERIAL_SLOTS = 50  # see _serial: with community c in district min(c // 6, 3), c and c + 50 never share one below 69
Progress = Callable[[str, int, int], None]  # (task, advance, total)


def _region(id: str, name: str, level: str, parent: dict | None, **extra: Any) -> dict[str, Any]:
    path = [*parent["path"], parent["_id"]] if parent else []
    return {"_id": id, "name": name, "level": level, "parentId": parent["_id"] if parent else None,
            "path": path, "code": id, **extra}


def region_layout(communities: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Province → city → districts → streets → communities: (all region docs, the communities).

    Community c lies in street c // 3, street s in district s // 2 (the last district takes
    the rest), so a smaller seed is a prefix of a bigger one: the demo's communities are the
    province's first three, with the same ids, and seeding the province later completes it."""
    if not 1 <= communities <= MAX_COMMUNITIES:
        raise ValueError(f"communities must be between 1 and {MAX_COMMUNITIES}")
    streets_n = math.ceil(communities / 3)
    districts_n = min(len(dd.DISTRICTS), math.ceil(streets_n / 2))
    province = _region(dd.PROVINCE[0], dd.PROVINCE[1], "province", None)
    city = _region(dd.CITY[0], dd.CITY[1], "city", province)
    districts = [_region(code, name, "district", city) for code, name in dd.DISTRICTS[:districts_n]]
    streets = []
    for s in range(streets_n):
        district = districts[min(s // 2, districts_n - 1)]
        streets.append(_region(f"{district['_id']}{s + 1:03d}", dd.STREETS[s % len(dd.STREETS)], "street", district))
    result = []
    for c in range(communities):
        street = streets[c // 3]
        lon, lat = dd.community_origin(c)
        result.append(_region(f"{street['_id']}{c + 1:03d}", dd.community_name(c), "community", street,
                              location={"type": "Point", "coordinates": [lon + 0.006, lat + 0.004]}, seedIndex=c))
    return [province, city, *districts, *streets, *result], result


async def seed_regions(platform: Platform, communities: int) -> list[dict[str, Any]]:
    """Upsert the region tree of `region_layout`; returns the communities."""
    docs, result = region_layout(communities)
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


def _households(rng: random.Random, community: dict, grids: list[dict], count: int) -> list[dict[str, Any]]:
    """Deterministic residents of one community, grouped into households (the first n of a
    bigger count are the same n people, so seeding more residents later completes a seed)."""
    today = date.today()
    serials: dict[tuple[date, str], int] = {}
    area = community["path"][2] if len(community["path"]) > 2 else "320102"
    people: list[dict[str, Any]] = []
    n = 0
    while n < count:
        grid = grids[rng.randrange(len(grids))]
        building = rng.randint(1, 30)
        address = {"building": f"{building}栋", "unit": f"{rng.randint(1, 4)}单元",
                   "room": f"{rng.randint(1, 18)}{rng.randint(1, 4):02d}"}
        size = rng.choice([1, 1, 2, 2, 3, 3, 3, 4, 5])  # the last household is cut below, not made smaller
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
                "idNumber": dd.id_number(area, birth, _serial(serials, community["seedIndex"], birth, gender), gender),
                "phone": dd.phone(rng) if age >= 16 else None,
                "communityId": community["_id"], "regionPath": [*community["path"], community["_id"]],
                "gridId": grid["_id"], "registered": registered, "tags": sorted(tags),
            })
            n += 1
    return people[:count]


def _serial(serials: dict[tuple[date, str], int], community_index: int, birth: date, gender: str) -> int:
    """The ID number's sequence (0–499) for the next person of one community born on `birth`.

    The range is shared by all communities of an area code (a district): community i owns the
    numbers ≡ i (mod SERIAL_SLOTS), so ID numbers never depend on other communities' sizes and
    stay unique however the seed grows (region_layout keeps fewer than SERIAL_SLOTS communities
    apart in any district as long as communities ≤ MAX_COMMUNITIES)."""
    key = (birth, gender)
    n = serials.get(key, 0)
    serials[key] = n + 1
    seq = n * SERIAL_SLOTS + community_index % SERIAL_SLOTS
    if seq >= 500:
        raise ValueError(f"more than {500 // SERIAL_SLOTS} demo residents of one sex born on {birth} "
                         "in one community: seed fewer residents per community")
    return seq


async def seed_residents(platform: Platform, community: dict, grids: list[dict], count: int,
                         rng: random.Random, progress: Progress) -> int:
    seeded = DemoRepository(platform.db)
    have = await seeded.seed_keys(community["_id"])
    people = _households(rng, community, grids, count)
    household_ids: dict[str, str] = {}
    existing_heads = await seeded.household_heads(community["_id"])
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


@dataclass(frozen=True)
class SeedSize:
    """How much demo data `seed` makes."""

    communities: int
    residents_per_community: int
    grids_per_community: int = 6
    work_orders_per_community: int = 40


DEMO = SeedSize(3, 100)  # `serve --seed-if-empty` and `seed`: a few seconds
PROVINCE = SeedSize(12, 2000)  # `seed --province`: about half a minute


async def seed(platform: Platform, communities: int = DEMO.communities,
               residents_per_community: int = DEMO.residents_per_community,
               grids_per_community: int = 6, work_orders_per_community: int = 40, progress: Progress | None = None,
               extra: Callable[[Platform, list[dict]], Any] | None = None) -> dict[str, int]:
    """Build (or complete) the demo province. Safe to run repeatedly; a bigger run completes a
    smaller one (the same communities and residents, more of them).

    `progress(task, advance, total)` is told about three tasks: "residents" (one unit per
    resident), "work orders" (one per community) and "modules" (one)."""
    progress = progress or (lambda task, advance, total: None)
    progress("residents", 0, communities * residents_per_community)
    await _upsert_user(platform, "admin", "platform_admin", "平台管理员")
    comms = await seed_regions(platform, communities)
    city = dd.CITY[0]
    await _upsert_user(platform, "nanjing", "region_admin", "南京市管理员", regionId=city)
    created = orders = 0
    for community in comms:
        rng = random.Random(f"community-plus:{community['_id']}")
        grids = await seed_grids_and_staff(platform, community, grids_per_community, rng)
        created += await seed_residents(platform, community, grids, residents_per_community, rng, progress)

    await seed_governance(platform, comms, _upsert_user)
    progress("work orders", 0, len(comms))
    items = await seed_service_items(platform, comms)
    for community in comms:
        orders += await seed_work_orders(platform, community, items[community["_id"]], work_orders_per_community)
        progress("work orders", 1, len(comms))
    if extra is not None:
        progress("modules", 0, 1)
        await extra(platform, comms)
        progress("modules", 1, 1)
    return {"communities": len(comms), "residents_created": created, "work_orders_created": orders}
