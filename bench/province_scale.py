"""Benchmark: a province — 20,000 communities, 2,000,000 residents — seeded in bulk and queried.

Seeding streams the residents in `insert_many(ordered=False)` batches (memory bounded: one
batch in flight while the next is generated in a thread) through the residents' repository
(each batch's ID numbers claimed in `unique_values` first), seals phones and ID numbers with the
real keyring, and builds the indexes after the load (`--indexes first` builds them before, to
compare). Then it measures, through the real app in-process, the latency of:

- the mini-program home query of a resident,
- a grid worker's resident list with a tag filter (`residents(filter:{gridId, tags:[ELDERLY]})`),
- a street's work-order statistics (a region admin's `statistics(regionId:)`, 3 communities),
- the admin console's resident search by name (`residents(filter:{namePrefix})` as the
  community admin), the console's list query as the page sends it.

    nice .venv/bin/python bench/province_scale.py [--communities 20000] [--residents 2000000]

Progress: a rich bar on a terminal, one plain line every few seconds elsewhere (core/platform/progress.py).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import resource
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bson import ObjectId
from common import machine, rss_mib
from rich.console import Console

from community_plus.demo import data as dd
from community_plus.platform.progress import TaskProgress
from community_plus.platform.testing import start_test_database
from community_plus.platform.upgrades import UpgradeRepository
from community_plus.platform.validation import id_check_digit

GRIDS = 6
DISTRICTS = 20
HOME = """query Home { me { name community { name } }
  workOrders(first: 20) { totalCount edges { node { id title state dueAt item { title } assignee { name } } } }
  modules { name title icon entryPage enabled } }"""
GRID_TAGGED = """query GridElderly($grid: ID!) { residents(first: 20, filter: { gridId: $grid, tags: [ELDERLY] }) {
  totalCount edges { node { name phone tags grid { name } } } } }"""
STREET_STATS = """query Street($r: ID!) { statistics(regionId: $r) { total overdueCount averageRating
  byItem { title count } } }"""
CONSOLE_SEARCH = """query Search($filter: ResidentFilter, $first: Int!) { residents(first: $first, filter: $filter) {
  totalCount pageInfo { hasNextPage endCursor } edges { node { id name gender age tags phone idNumber
  registered grid { id name } } } } }"""
ID_SPACE = 33_000 * 1000  # (birth day since 1934, sequence) pairs: every resident gets a distinct ID number
ID_STEP = 7_919_993  # coprime with ID_SPACE: i -> i * ID_STEP mod ID_SPACE is a permutation


def layout(communities: int) -> tuple[list[dict], list[dict]]:
    """Province → city → 20 districts → streets of 3 communities → communities (synthetic codes)."""
    def region(id: str, name: str, level: str, parent: dict | None, **extra: Any) -> dict:
        return {"_id": id, "name": name, "level": level, "parentId": parent["_id"] if parent else None,
                "path": [*parent["path"], parent["_id"]] if parent else [], "code": id, **extra}

    province = region("320000", "江苏省", "province", None)
    city = region("320100", "南京市", "city", province)
    districts = [region(f"3201{d + 1:02d}", f"第{d + 1}区", "district", city) for d in range(DISTRICTS)]
    streets, comms = [], []
    for s in range((communities + 2) // 3):
        district = districts[s % DISTRICTS]
        streets.append(region(f"{district['_id']}{s // DISTRICTS + 1:04d}", dd.STREETS[s % len(dd.STREETS)] + f"{s}",
                              "street", district))
    for c in range(communities):
        street = streets[c // 3]
        lon, lat = dd.community_origin(c % 60)
        comms.append(region(f"{street['_id']}{c % 3 + 1:03d}", dd.community_name(c % 60) + f"{c}", "community",
                            street, location={"type": "Point", "coordinates": [lon, lat]}, seedIndex=c))
    return [province, city, *districts, *streets, *comms], comms


def grids_of(community: dict) -> list[dict]:
    return [{"_id": f"{community['_id']}-g{g + 1}", "communityId": community["_id"],
             "regionPath": [*community["path"], community["_id"]], "name": f"第{g + 1}网格",
             "boundary": dd.square(118.7 + g * 0.001, 32.0, 0.001, 0.001), "workerIds": [],
             "createdAt": datetime.now(UTC)} for g in range(GRIDS)]


def residents_of(keyring, community: dict, start: int, count: int, today: date, now: datetime) -> list[dict]:
    """`count` sealed resident documents of one community; `start` is the global index of the first."""
    rng = random.Random(start)
    region_path = [*community["path"], community["_id"]]
    area = community["path"][2]
    out = []
    household = None
    for k in range(count):
        i = start + k
        code = i * ID_STEP % ID_SPACE
        birth = date(1934, 1, 1) + timedelta(days=code // 1000 % 33_000)
        if birth > today:
            birth = birth.replace(year=today.year - 30)
        gender = "male" if code % 2 else "female"
        first17 = f"{area}{birth:%Y%m%d}{code % 1000:03d}"
        id_number = first17 + id_check_digit(first17)
        age = today.year - birth.year
        doc_id = str(ObjectId())
        if household is None or rng.random() < 0.4:
            household, relation = doc_id, "self"
        else:
            relation = rng.choice(("spouse", "child", "parent"))
        tags = []
        if age >= 60:
            tags.append("elderly")
        if age < 14:
            tags.append("child")
        if rng.random() < 0.05:
            tags.append("low_income")
        phone = dd.phone(rng) if age >= 16 else None
        name = dd.person_name(rng, gender)
        doc = {"_id": doc_id, "communityId": community["_id"], "regionPath": region_path,
               "gridId": f"{community['_id']}-g{rng.randrange(GRIDS) + 1}", "name": name,
               "gender": gender, "birthDate": datetime(birth.year, birth.month, birth.day, tzinfo=UTC),
               "relation": relation, "householdId": household, "registered": rng.random() > 0.15,
               "address": {"building": f"{rng.randint(1, 30)}栋", "unit": f"{rng.randint(1, 4)}单元",
                           "room": f"{rng.randint(1, 18)}{rng.randint(1, 4):02d}"},
               "tags": sorted(tags), "idNumber": id_number, "phone": phone,
               "createdAt": now, "updatedAt": now, "version": 1}
        out.append(keyring(doc))
    return out


def orders_of(community: dict, residents: list[dict], per_community: int, now: datetime) -> list[dict]:
    """Light work orders (the statistics' inputs) for communities outside the measured street."""
    rng = random.Random(community["_id"])
    out = []
    for _ in range(per_community):
        r = residents[rng.randrange(len(residents))]
        created = now - timedelta(days=rng.uniform(0, 60))
        state = rng.choice(("submitted", "accepted", "in_progress", "resolved", "closed", "closed"))
        doc = {"_id": str(ObjectId.from_datetime(created))[:8] + str(ObjectId())[8:], "communityId": community["_id"],
               "regionPath": r["regionPath"], "gridId": r["gridId"], "kind": "report", "itemId": None,
               "title": "问题上报", "residentId": r["_id"], "residentTags": r["tags"], "submittedBy": "seed",
               "parties": ["seed", r["_id"]], "submittedByRole": "resident", "state": state, "dueAt": created + timedelta(hours=48),
               "createdAt": created, "updatedAt": created, "version": 1, "timeline": []}
        if state in ("resolved", "closed"):
            doc["resolvedAt"] = created + timedelta(hours=rng.uniform(1, 60))
        out.append(doc)
    return out


async def seed(uri: str, communities: int, residents: int, batch: int, orders: int, indexes_first: bool,
               console: Console) -> dict[str, Any]:
    from community_plus.platform import db as dbm
    from community_plus.domains.platform import Platform
    from community_plus.settings import load_settings

    settings = load_settings(MONGODB_URI=uri)
    client = dbm.connect(uri)
    platform = Platform(settings, client, dbm.database_of(client))
    all_indexes = {r.collection: r.indexes for r in platform.repositories()}
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    if indexes_first:
        await dbm.ensure_indexes(platform.db, all_indexes)
    regions, comms = layout(communities)
    per = residents // communities
    today, now = date.today(), datetime.now(UTC)
    seal = platform.residents.seal
    with TaskProgress(console, "province") as progress:
        progress("regions+grids", 0, len(regions) + communities * GRIDS)
        for k in range(0, len(regions), batch):
            await platform.regions.coll.insert_many(regions[k:k + batch], ordered=False)
            progress("regions+grids", len(regions[k:k + batch]), 0)
        for k in range(0, communities, batch // GRIDS):
            docs = [g for c in comms[k:k + batch // GRIDS] for g in grids_of(c)]
            await platform.grids.coll.insert_many(docs, ordered=False)
            progress("regions+grids", len(docs), 0)
        timings["regions+grids"] = time.perf_counter() - t0

        t1 = time.perf_counter()
        progress("residents", 0, per * communities)
        progress("work orders", 0, orders * communities)
        per_batch = max(1, batch // per)

        def generate(k: int) -> tuple[list[dict], list[dict]]:
            people, wo = [], []
            for c in comms[k:k + per_batch]:
                mine = residents_of(seal, c, c["seedIndex"] * per, per, today, now)
                people += mine
                wo += orders_of(c, mine, orders, now) if orders else []
            return people, wo

        pending = asyncio.create_task(asyncio.to_thread(generate, 0))
        for k in range(0, communities, per_batch):
            people, wo = await pending
            if k + per_batch < communities:  # generate the next batch while this one is written
                pending = asyncio.create_task(asyncio.to_thread(generate, k + per_batch))
            await platform.residents.insert_many(people)  # with their ID numbers' claims (unique_values)
            if wo:
                await platform.work_orders.coll.insert_many(wo, ordered=False)
            progress("residents", len(people), 0)
            progress("work orders", len(wo), 0)
            del people, wo
        timings["residents+orders"] = time.perf_counter() - t1

        t2 = time.perf_counter()
        progress("indexes", 0, len(all_indexes))
        for name, models in all_indexes.items():  # one collection at a time: progress, and the big two timed
            t = time.perf_counter()
            await dbm.ensure_indexes(platform.db, {name: models})
            if name in ("residents", "work_orders"):
                timings[f"  of which {name} ({len(list(models))} indexes)"] = time.perf_counter() - t
            progress("indexes", 1, 0)
        timings["indexes" + (" (were built first)" if indexes_first else " after the load")] = time.perf_counter() - t2
    # the rows were written in the current shape (orders with `parties`, ID numbers claimed), so
    # the one-off upgrades have nothing to do: recorded as done, as a fresh install records them
    upgrades = UpgradeRepository(platform.db)
    for name in ("work_orders.parties", "residents.id_number_claims"):
        await upgrades.mark(name, 0)
    timings["total"] = time.perf_counter() - t0
    await client.close()
    return {"timings": timings, "communities": comms, "per": per}


async def prepare_actors(uri: str, comms: list[dict]) -> dict[str, Any]:
    """The measured street: demo catalogue and 40 realistic orders per community; the users."""
    from community_plus.platform import db as dbm
    from community_plus.domains.platform import Platform
    from community_plus.modules.seeding import seed_modules
    from community_plus.demo.seed import _upsert_user
    from community_plus.demo.services import seed_service_items, seed_work_orders
    from community_plus.domains.identity.auth import AuthService
    from community_plus.settings import load_settings
    from workorder_fixtures import resident_token

    settings = load_settings(MONGODB_URI=uri)
    client = dbm.connect(uri)
    platform = Platform(settings, client, dbm.database_of(client))
    target = comms[len(comms) // 2]  # a community in the middle of the province
    street_id = target["path"][-1]
    street = [c for c in comms if c["path"][-1] == street_id]
    for c in street:
        await _upsert_user(platform, f"admin{c['_id'][-3:]}", "community_admin", "管理员", communityId=c["_id"])
    await _upsert_user(platform, "street", "region_admin", "街道管理员", regionId=street_id)
    await seed_modules(platform, street)
    items = await seed_service_items(platform, street)
    for c in street:
        await seed_work_orders(platform, c, items[c["_id"]], 40)
    grid_id = f"{target['_id']}-g1"
    worker = await _upsert_user(platform, "gw-bench", "grid_worker", "网格员", communityId=target["_id"],
                                gridIds=[grid_id])
    order = await platform.work_orders.coll.find_one({"communityId": target["_id"], "submittedBy": "seed"},
                                                    sort=[("_id", -1)])  # the home query's resident has orders
    resident = await platform.residents.coll.find_one({"_id": order["residentId"]})
    sample = await platform.residents.coll.find_one({"communityId": target["_id"], "_id": {"$gt": resident["_id"]}})
    auth = AuthService(platform)
    admin = await platform.users.by_username(f"admin{target['_id'][-3:]}")
    out = {"resident": await resident_token(platform, resident),
           "grid_worker": (await auth.start_session(worker)).access_token,
           "admin": (await auth.start_session(admin)).access_token,
           "street_admin": (await auth.start_session(await platform.users.by_username("street"))).access_token,
           "grid": grid_id, "street": street_id, "community": target["_id"], "name": sample["name"][:2]}
    await client.close()
    return out


async def measure(uri: str, actors: dict[str, Any], repeat: int) -> dict[str, tuple[float, float, Any]]:
    from aiohttp.test_utils import TestClient, TestServer

    from community_plus.app import create_app
    from community_plus.settings import load_settings

    app = create_app(load_settings(MONGODB_URI=uri, CP_BACKGROUND_JOBS="false", CP_RATE_LIMITS="",
                                   CP_LOG_FORMAT="json", CP_ACCESS_LOG="false"))
    http = TestClient(TestServer(app))
    await http.start_server()
    cases = {
        "home query (resident)": (HOME, {}, "resident"),
        "grid worker: residents of a grid tagged ELDERLY": (GRID_TAGGED, {"grid": actors["grid"]}, "grid_worker"),
        "street statistics (region admin, 3 communities)": (STREET_STATS, {"r": actors["street"]}, "street_admin"),
        "console: resident search by name (community admin)": (
            CONSOLE_SEARCH, {"filter": {"namePrefix": actors["name"]}, "first": 20}, "admin"),
        "console: search by name + tag": (
            CONSOLE_SEARCH, {"filter": {"namePrefix": actors["name"][:1], "tags": ["ELDERLY"]}, "first": 20}, "admin"),
    }
    out = {}
    try:
        for label, (query, variables, who) in cases.items():
            headers = {"Authorization": f"Bearer {actors[who]}"}
            times, total = [], None
            for n in range(repeat + 1):
                t = time.perf_counter()
                resp = await http.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
                body = await resp.json()
                if body.get("errors"):
                    raise RuntimeError(f"{label}: {body['errors']}")
                if n:  # the first request warms caches
                    times.append((time.perf_counter() - t) * 1000)
                data = body["data"].get("workOrders") or next(iter(body["data"].values()))  # home: the orders
                total = data.get("totalCount", data.get("total")) if isinstance(data, dict) else None
            times.sort()
            out[label] = (statistics.median(times), times[min(len(times) - 1, int(0.95 * len(times)))], total)
    finally:
        await http.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--communities", type=int, default=20_000)
    parser.add_argument("--residents", type=int, default=2_000_000)
    parser.add_argument("--orders-per-community", type=int, default=5)
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--indexes", choices=("after", "first"), default="after")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    console = Console(stderr=True)
    db = start_test_database()
    try:
        uri = db.uri.replace("/?", "/province?")
        seeded = asyncio.run(seed(uri, args.communities, args.residents, args.batch, args.orders_per_community,
                                  args.indexes == "first", console))
        db_rss = rss_mib(db.process.pid)
        actors = asyncio.run(prepare_actors(uri, seeded["communities"]))
        del seeded["communities"]
        results = asyncio.run(measure(uri, actors, args.repeat))
    finally:
        db.stop()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    n_res = seeded["per"] * args.communities
    t = seeded["timings"]
    print(f"Province scale — {machine()}")
    print(f"{args.communities:,} communities × {seeded['per']} residents = {n_res:,} residents, "
          f"{args.orders_per_community * args.communities:,} work orders, batches of {args.batch}, "
          f"indexes {args.indexes}")
    for k, v in t.items():
        print(f"  seed {k:32} {v:9.1f} s")
    print(f"  residents/s over the load          {n_res / t['residents+orders']:9.0f}")
    print(f"  peak RSS of the seeding process    {peak:9.0f} MiB; SecantusDB after the load {db_rss:.0f} MiB")
    print(f"{'query':56}{'p50 ms':>9}{'p95 ms':>9}{'total':>9}")
    for label, (p50, p95, total) in results.items():
        print(f"{label:56}{p50:9.1f}{p95:9.1f}{total if total is not None else '':>9}")


if __name__ == "__main__":
    sys.exit(main())
