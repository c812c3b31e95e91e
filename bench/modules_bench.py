"""Benchmark of the plugin platform: schema build time per module set, memory for 20,000
communities spread over 8 distinct module sets, and request latency with and without plugins.

    .venv/bin/python bench/modules_bench.py [--communities 20000]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import time
import tracemalloc

from common import machine

from community_plus.platform.testing import start_test_database

BUILTIN = ("elder_care", "meal_assist", "micro_charity")


async def run(uri: str, communities: int) -> None:
    from community_plus.platform import db as dbm
    from community_plus.domains.platform import Platform
    from community_plus.graphql.schema import build_schema
    from community_plus.modules.registry import PluginRegistry
    from community_plus.modules.repository import ModuleSettingsRepository
    from community_plus.modules.state import ModuleStates
    from community_plus.settings import load_settings

    settings = load_settings(MONGODB_URI=uri)
    client = dbm.connect(uri)
    platform = Platform(settings, client, dbm.database_of(client))
    registry = PluginRegistry(allow=set(BUILTIN))
    registry.load_entry_points()
    sets = [frozenset(c) for n in range(len(BUILTIN) + 1) for c in itertools.combinations(sorted(registry.modules), n)]

    # schema build time per distinct set (cold: a new schema object each time)
    build = []
    for s in sets:
        t0 = time.perf_counter()
        build_schema(registry.contributions(s))
        build.append(time.perf_counter() - t0)

    # 20,000 communities, each assigned one of the 8 sets by explicit per-module decisions
    street = {"_id": "bench-street", "name": "街道", "level": "street", "parentId": None, "path": []}
    await platform.regions.coll.insert_one(street)
    docs, rows = [], []
    for i in range(communities):
        cid = f"bench-c{i:05d}"
        docs.append({"_id": cid, "name": f"社区{i}", "level": "community", "parentId": street["_id"],
                     "path": [street["_id"]]})
        chosen = sets[i % len(sets)]
        rows += [{"_id": f"{cid}:{m}", "regionId": cid, "module": m, "enabled": m in chosen, "regionPath": [street["_id"]],
                  "level": "community"} for m in BUILTIN]
    for chunk in range(0, len(docs), 5000):
        await platform.regions.coll.insert_many(docs[chunk:chunk + 5000], ordered=False)
    for chunk in range(0, len(rows), 5000):
        await platform.db[ModuleSettingsRepository.collection].insert_many(rows[chunk:chunk + 5000], ordered=False)
    await dbm.ensure_indexes(platform.db, {ModuleSettingsRepository.collection: ModuleSettingsRepository.indexes})

    states = ModuleStates(platform, registry)
    registry.states = states
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.take_snapshot()
    t0 = time.perf_counter()
    ids = [d["_id"] for d in docs]
    for chunk in range(0, len(ids), 200):
        await asyncio.gather(*[states.enabled_for(c) for c in ids[chunk:chunk + 200]])
    lookup_s = time.perf_counter() - t0
    gc.collect()
    after_states = tracemalloc.take_snapshot()
    states_bytes = sum(s.size_diff for s in after_states.compare_to(base, "filename"))
    distinct = {id(v) for v in states._enabled.values()}
    schemas = [build_schema(registry.contributions(s)) for s in sets]
    gc.collect()
    after_schemas = tracemalloc.take_snapshot()
    schema_bytes = sum(s.size_diff for s in after_schemas.compare_to(after_states, "filename"))
    tracemalloc.stop()
    await client.close()

    print(f"plugin platform benchmark — {machine()}")
    print(f"modules: {', '.join(sorted(registry.modules))}; distinct module sets: {len(sets)}")
    print(f"schema build per set: mean {sum(build) / len(build) * 1000:.0f} ms, max {max(build) * 1000:.0f} ms")
    print(f"{communities} communities resolved in {lookup_s:.1f}s; cached sets shared by identity: {len(distinct)} objects")
    print(f"memory for the {communities}-community cache: {states_bytes / 1024 / 1024:.2f} MiB "
          f"({states_bytes / communities:.0f} B/community); for {len(schemas)} schemas: {schema_bytes / 1024 / 1024:.1f} MiB")


async def latency(uri: str, requests: int) -> None:
    """Home-query latency in-process, with no plugins loaded vs all three enabled."""
    from aiohttp.test_utils import TestClient, TestServer

    from community_plus.app import create_app
    from community_plus.keys import PLATFORM
    from community_plus.modules.seeding import seed_modules
    from community_plus.demo.seed import seed
    from community_plus.settings import load_settings
    from workorder_fixtures import resident_token

    from home_query import HOME

    results = {}
    token = None
    for label, allow in (("no plugins", "none"), ("3 modules", ",".join(BUILTIN))):
        app = create_app(load_settings(MONGODB_URI=uri.replace("/bench", "/benchlat"), CP_PLUGINS=allow,
                                       CP_BACKGROUND_JOBS="false", CP_RATE_LIMITS=""))
        http = TestClient(TestServer(app))
        await http.start_server()
        platform = app[PLATFORM]
        if token is None:
            await seed(platform, communities=3, residents_per_community=50, grids_per_community=2,
                       work_orders_per_community=40, extra=seed_modules)
            community = await platform.regions.coll.find_one({"level": "community"}, sort=[("_id", 1)])
            token = await resident_token(platform, await platform.residents.coll.find_one({"communityId": community["_id"]}))
        headers = {"Authorization": f"Bearer {token}"}
        for _ in range(30):
            await http.post("/graphql", json={"query": HOME}, headers=headers)
        times = []
        for _ in range(requests):
            t0 = time.perf_counter()
            resp = await http.post("/graphql", json={"query": HOME}, headers=headers)
            body = await resp.json()
            assert not body.get("errors"), body
            times.append(time.perf_counter() - t0)
        times.sort()
        results[label] = (times[len(times) // 2] * 1000, times[int(len(times) * 0.99)] * 1000,
                          len(body["data"]["modules"]))
        await http.close()
    for label, (p50, p99, n) in results.items():
        print(f"home query, {label:10} ({n} modules listed): p50 {p50:.1f} ms, p99 {p99:.1f} ms")
    print(f"latency ratio with/without plugins (p50): {results['3 modules'][0] / results['no plugins'][0]:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--communities", type=int, default=20000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    db = start_test_database()
    try:
        uri = db.uri.replace("/?", "/bench?")
        asyncio.run(run(uri, args.communities))
        asyncio.run(latency(uri, args.requests))
    finally:
        db.stop()


if __name__ == "__main__":
    main()
