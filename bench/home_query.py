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

from common import ROOT, LoadResult, cpu_seconds, load, machine, start_server, wait_http

from community_plus.platform.testing import free_port, start_test_database

HOME = """query Home { me { name community { name } }
  workOrders(first: 20) { totalCount edges { node { id title state dueAt item { title } assignee { name } } } }
  modules { name title icon entryPage enabled } }"""
RESIDENTS = """query GridResidents { residents(first: 20, filter: { gridId: $grid }) {
  totalCount edges { node { name phone grid { name } } } } }"""


async def prepare(uri: str) -> dict[str, str]:
    """Seed one community with history; a resident's token, a grid worker's token and grid."""
    from community_plus.platform import db as dbm
    from community_plus.domains.platform import Platform
    from community_plus.modules.seeding import seed_modules
    from community_plus.demo.seed import seed
    from community_plus.settings import load_settings
    from workorder_fixtures import resident_token

    settings = load_settings(MONGODB_URI=uri)
    client = dbm.connect(uri)
    platform = Platform(settings, client, dbm.database_of(client))
    await dbm.ensure_indexes(platform.db, {r.collection: r.indexes for r in platform.repositories()})
    platform.seed_extra = seed_modules
    await seed(platform, communities=2, residents_per_community=300, grids_per_community=3, work_orders_per_community=0,
               extra=seed_modules)
    community = await platform.regions.coll.find_one({"level": "community"}, sort=[("_id", 1)])
    resident = await platform.residents.coll.find_one({"communityId": community["_id"]})
    token = await resident_token(platform, resident)
    from community_plus.domains.identity.auth import AuthService

    grid = await platform.grids.coll.find_one({"communityId": community["_id"]}, sort=[("_id", 1)])
    worker = await platform.users.coll.find_one({"role": "grid_worker", "gridIds": grid["_id"]})
    worker_token = (await AuthService(platform).start_session(worker)).access_token
    from community_plus.demo.services import seed_service_items, seed_work_orders  # orders of this resident

    items = await seed_service_items(platform, [community])
    await seed_work_orders(platform, community, items[community["_id"]], 120)
    user = await platform.users.coll.find_one({"residentId": resident["_id"]})
    await platform.work_orders.coll.update_many({"communityId": community["_id"]},
                                                {"$set": {"submittedBy": user["_id"], "residentId": resident["_id"]}})
    await client.close()
    return {"resident": token, "grid_worker": worker_token, "grid": grid["_id"]}


async def commands_per_request(uri: str, token: str) -> dict[int, int]:
    """Database commands one home query issues, for list sizes 5, 20 and 50 (in-process)."""
    from aiohttp.test_utils import TestClient, TestServer
    from pymongo import monitoring

    from community_plus.platform import db as dbm
    from community_plus.app import create_app
    from community_plus.keys import PLATFORM
    from community_plus.domains.platform import Platform
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
    platform.modules.states.repo.coll = fresh.db["module_settings"]
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


def measure(ports: dict[str, int], pids: dict[str, int], body: dict, headers: dict[str, str], requests: int,
            rounds: int = 2) -> dict[str, tuple]:
    """Each server in turn, `rounds` times (so both see the same machine), summed."""
    out: dict[str, list] = {name: [[], 0.0, 0.0, 0] for name in ports}
    for name, port in ports.items():
        asyncio.run(load(f"http://127.0.0.1:{port}/graphql", body, headers, 100))  # warm-up
    for _ in range(rounds):
        for name, port in ports.items():
            cpu0 = cpu_seconds(pids[name])
            res = asyncio.run(load(f"http://127.0.0.1:{port}/graphql", body, headers, requests // rounds))
            acc = out[name]
            acc[0] += res.latencies
            acc[1] += res.seconds
            acc[2] += cpu_seconds(pids[name]) - cpu0
            acc[3] += res.errors
    done = (requests // rounds) * rounds
    return {name: (LoadResult(done, secs, lat, errs), cpu / done * 1000) for name, (lat, secs, cpu, errs) in out.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=1500)
    args = parser.parse_args()
    db = start_test_database()
    try:
        uri = db.uri.replace("/?", "/bench?")
        tokens = asyncio.run(prepare(uri))
        env = {"MONGODB_URI": uri, "CP_LOG_FORMAT": "json", "CP_BACKGROUND_JOBS": "false", "CP_RATE_LIMITS": "",
               "PYTHONPATH": str(ROOT / "bench")}
        ports = {"graphql": free_port(), "raw": free_port()}
        servers = {
            "graphql": start_server([sys.executable, "-m", "community_plus.cli", "serve", "--port",
                                     str(ports["graphql"])], env),
            "raw": start_server([sys.executable, str(ROOT / "bench" / "raw_home.py"), str(ports["raw"])], env),
        }
        wait_http(f"http://127.0.0.1:{ports['graphql']}/healthz")
        time.sleep(1.0)
        pids = {name: proc.pid for name, proc in servers.items()}
        queries = {
            "home": ({"query": HOME, "operationName": "Home"}, tokens["resident"]),
            "residents": ({"query": RESIDENTS.replace("$grid", f'"{tokens["grid"]}"'),
                           "operationName": "GridResidents"}, tokens["grid_worker"]),
        }
        results = {q: measure(ports, pids, body, {"Authorization": f"Bearer {token}"}, args.requests)
                   for q, (body, token) in queries.items()}
        for proc in servers.values():
            proc.terminate()
            proc.wait(20)
        commands = asyncio.run(commands_per_request(uri, tokens["resident"]))
    finally:
        db.stop()
    print(f"GraphQL vs raw handler — {machine()}; {args.requests} requests per server and query, 10 concurrent")
    print(f"{'':20}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'CPU ms/req':>12}{'errors':>8}")
    for q, by_server in results.items():
        for name, (res, cpu) in by_server.items():
            print(f"{q + ' ' + name:20}{res.rps:8.1f}{res.pct(0.5):9.1f}{res.pct(0.99):9.1f}{cpu:12.2f}{res.errors:8d}")
        g, r = by_server["graphql"], by_server["raw"]
        print(f"{q}: throughput ratio graphql/raw {g[0].rps / r[0].rps:.2f}, server CPU ratio graphql/raw "
              f"{g[1] / r[1]:.2f}")
    print("database commands per home query by list size: " + ", ".join(f"first={k}: {v}" for k, v in commands.items()))


if __name__ == "__main__":
    main()
