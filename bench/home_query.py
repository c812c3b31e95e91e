"""Benchmark: the mini-program home query through GraphQL vs a hand-written aiohttp handler
running the same queries, in one run. Prints requests/s, p50/p99 latency, server CPU per
request and database commands per request (for list sizes 5, 20 and 50).

    .venv/bin/python bench/home_query.py [--requests 1500]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time

from common import ROOT, cpu_seconds, load, machine, start_server, wait_http

from community_plus.testing import free_port, start_test_database

HOME = """query Home { me { name community { name } }
  workOrders(first: 20) { totalCount edges { node { id title state dueAt item { title } assignee { name } } } }
  modules { name title icon entryPage enabled } }"""


async def prepare(uri: str) -> str:
    """Seed one community with history and return a resident's access token."""
    from community_plus import db as dbm
    from community_plus.context import Platform
    from community_plus.extensions import seed_modules
    from community_plus.seed import seed
    from community_plus.settings import load_settings
    from workorder_fixtures import resident_token

    settings = load_settings(MONGODB_URI=uri)
    client = dbm.connect(uri)
    platform = Platform(settings, client, dbm.database_of(client))
    await dbm.ensure_indexes(platform.db, {r.collection: r.indexes for r in platform.repositories()})
    platform.extras["seed_extra"] = seed_modules
    await seed(platform, communities=2, residents_per_community=300, grids_per_community=3, work_orders_per_community=0,
               extra=seed_modules)
    community = await platform.regions.coll.find_one({"level": "community"}, sort=[("_id", 1)])
    resident = await platform.residents.coll.find_one({"communityId": community["_id"]})
    token = await resident_token(platform, resident)
    from community_plus.seed_services import seed_service_items, seed_work_orders  # orders of this resident

    items = await seed_service_items(platform, [community])
    await seed_work_orders(platform, community, items[community["_id"]], 120)
    user = await platform.users.coll.find_one({"residentId": resident["_id"]})
    await platform.work_orders.coll.update_many({"communityId": community["_id"]},
                                                {"$set": {"submittedBy": user["_id"], "residentId": resident["_id"]}})
    await client.close()
    return token


async def commands_per_request(uri: str, token: str) -> dict[int, int]:
    """Database commands one home query issues, for list sizes 5, 20 and 50 (in-process)."""
    from aiohttp.test_utils import TestClient, TestServer
    from pymongo import monitoring

    from community_plus import db as dbm
    from community_plus.app import PLATFORM, create_app
    from community_plus.context import Platform
    from community_plus.settings import load_settings

    class Counter(monitoring.CommandListener):
        n = 0

        def started(self, event):
            if event.command_name not in ("hello", "isMaster", "ping", "endSessions"):
                Counter.n += 1

        def succeeded(self, event): ...

        def failed(self, event): ...

    app = create_app(load_settings(MONGODB_URI=uri, CP_BACKGROUND_JOBS="false", CP_RATE_LIMITS=""))
    http = TestClient(TestServer(app))
    await http.start_server()
    platform = app[PLATFORM]
    counted = dbm.connect(uri, event_listeners=[Counter()])
    fresh = Platform(platform.settings, counted, dbm.database_of(counted))
    for name in ("regions", "grids", "residents", "users", "service_items", "work_orders"):
        setattr(platform, name, getattr(fresh, name))
    platform.db = fresh.db
    platform.extras["plugins"].states.repo.coll = fresh.db["module_settings"]
    out = {}
    headers = {"Authorization": f"Bearer {token}"}
    await http.post("/graphql", json={"query": HOME}, headers=headers)  # warm caches
    for n in (5, 20, 50):
        Counter.n = 0
        resp = await http.post("/graphql", json={"query": HOME.replace("first: 20", f"first: {n}")}, headers=headers)
        assert not (await resp.json()).get("errors")
        out[n] = Counter.n
    await http.close()
    await counted.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=1500)
    args = parser.parse_args()
    db = start_test_database()
    try:
        uri = db.uri.replace("/?", "/bench?")
        token = asyncio.run(prepare(uri))
        env = {"MONGODB_URI": uri, "CP_LOG_FORMAT": "json", "CP_BACKGROUND_JOBS": "false", "CP_RATE_LIMITS": "",
               "PYTHONPATH": str(ROOT / "bench")}
        gql_port, raw_port = free_port(), free_port()
        servers = {
            "graphql": start_server([sys.executable, "-m", "community_plus.cli", "serve", "--port", str(gql_port)], env),
            "raw": start_server([sys.executable, str(ROOT / "bench" / "raw_home.py"), str(raw_port)], env),
        }
        wait_http(f"http://127.0.0.1:{gql_port}/healthz")
        time.sleep(1.0)
        headers = {"Authorization": f"Bearer {token}"}
        body = {"query": HOME, "operationName": "Home"}
        results = {}
        for name, port in (("graphql", gql_port), ("raw", raw_port)):
            url = f"http://127.0.0.1:{port}/graphql"
            asyncio.run(load(url, body, headers, 100))  # warm-up
            pid = servers[name].pid
            cpu0 = cpu_seconds(pid)
            res = asyncio.run(load(url, body, headers, args.requests))
            results[name] = (res, (cpu_seconds(pid) - cpu0) / args.requests * 1000)
        for proc in servers.values():
            proc.terminate()
            proc.wait(20)
        commands = asyncio.run(commands_per_request(uri, token))
    finally:
        db.stop()
    print(f"home query benchmark — {machine()}; {args.requests} requests, 10 concurrent")
    print(f"{'':10}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'CPU ms/req':>12}{'errors':>8}")
    for name, (res, cpu) in results.items():
        print(f"{name:10}{res.rps:8.1f}{res.pct(0.5):9.1f}{res.pct(0.99):9.1f}{cpu:12.2f}{res.errors:8d}")
    g, r = results["graphql"], results["raw"]
    print(f"throughput ratio graphql/raw: {g[0].rps / r[0].rps:.2f}   server CPU ratio graphql/raw: {g[1] / r[1]:.2f}")
    print("database commands per home query by list size: " + ", ".join(f"first={k}: {v}" for k, v in commands.items()))


if __name__ == "__main__":
    main()
