"""Benchmark: 1,000 idle subscribers on one worker — server memory per subscriber, and the
delivery latency (event committed → client received) with events flowing.

    .venv/bin/python bench/subscribers.py [--subscribers 1000] [--events 500] [--rate 50] [--feed poll]

One `community-plus serve` worker on a throwaway SecantusDB. Each of
`--subscribers` sockets authenticates and subscribes to `notificationReceived` for its
own user. Then `--events` notification events are appended to the event log at `--rate`
per second, to random subscribers, exactly as a committed write appends them; each
client records `received − createdAt`. The load generator runs on the same machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).parent))
from common import cpu_seconds, machine, rss_mib, start_server, wait_http  # noqa: E402

from community_plus.platform import db as dbm  # noqa: E402
from community_plus.domains.platform import Platform  # noqa: E402
from community_plus.domains.notifications.outbox_repository import notification_events  # noqa: E402
from community_plus.platform.event_log import EventLog  # noqa: E402
from community_plus.platform.repository import new_id  # noqa: E402
from community_plus.domains.identity.auth import AuthService  # noqa: E402
from community_plus.settings import load_settings  # noqa: E402
from community_plus.platform.testing import free_port, start_test_database  # noqa: E402

SUB = "subscription { notificationReceived { cursor at notification { id title } } }"


async def make_users(uri: str, n: int) -> list[tuple[str, str]]:
    settings = load_settings(MONGODB_URI=uri, CP_ACCESS_TOKEN_TTL="7200")
    client = dbm.connect(uri)
    platform = Platform(settings, client, dbm.database_of(client))
    await dbm.ensure_indexes(platform.db, {r.collection: r.indexes for r in platform.repositories()})
    users = [{"_id": new_id(), "role": "resident", "displayName": f"居民{i}", "communityId": "c1",
              "createdAt": datetime.now(UTC)} for i in range(n)]
    await platform.users.coll.insert_many(users)
    auth = AuthService(platform)
    tokens = [(u["_id"], (await auth.start_session(u)).access_token) for u in users]
    await client.close()
    return tokens


async def subscriber(session: aiohttp.ClientSession, url: str, token: str, ready: asyncio.Event,
                     counter: list[int], total: int, latencies: list[float]) -> aiohttp.ClientWebSocketResponse:
    ws = await session.ws_connect(url, protocols=["graphql-transport-ws"], heartbeat=None)
    await ws.send_str(json.dumps({"type": "connection_init", "payload": {"accessToken": token}}))
    msg = await ws.receive()
    if msg.type != aiohttp.WSMsgType.TEXT or json.loads(msg.data)["type"] != "connection_ack":
        raise RuntimeError(f"not acknowledged: {msg.type} {msg.data!r} {msg.extra!r} {ws.close_code}")
    await ws.send_str(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": SUB}}))
    counter[0] += 1
    if counter[0] == total:
        ready.set()

    async def read() -> None:
        async for msg in ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                break
            data = json.loads(msg.data)
            if data.get("type") == "next":
                at = datetime.fromisoformat(data["payload"]["data"]["notificationReceived"]["at"])
                latencies.append(time.time() - at.timestamp())

    asyncio.get_running_loop().create_task(read())
    return ws


async def live_subscriptions(http: aiohttp.ClientSession, metrics_url: str) -> int:
    async with http.get(metrics_url) as resp:
        for line in (await resp.text()).splitlines():
            if line.startswith("cp_realtime_subscriptions "):
                return int(float(line.split()[1]))
    return 0


async def run(uri: str, port: int, pid: int, args) -> None:
    tokens = await make_users(uri, args.subscribers)
    url, metrics_url = f"ws://127.0.0.1:{port}/graphql", f"http://127.0.0.1:{port}/metrics"
    await asyncio.sleep(1.0)
    before = rss_mib(pid)
    latencies: list[float] = []
    ready, counter = asyncio.Event(), [0]
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:
        t0 = time.perf_counter()
        sockets = []
        for i in range(0, len(tokens), 50):  # connect in waves of 50
            sockets += await asyncio.gather(*[subscriber(http, url, tok, ready, counter, len(tokens), latencies)
                                              for _, tok in tokens[i:i + 50]])
        while await live_subscriptions(http, metrics_url) < len(tokens):
            await asyncio.sleep(0.1)
        connect_s = time.perf_counter() - t0
        await asyncio.sleep(2.0)  # let allocations settle
        after = rss_mib(pid)
        cpu0 = cpu_seconds(pid)

        client = dbm.connect(uri)
        log = EventLog(dbm.database_of(client))
        start = time.perf_counter()
        for n in range(args.events):
            user, _ = random.choice(tokens)
            message = {"_id": new_id(), "recipientUserId": user, "page": None, "createdAt": datetime.now(UTC),
                       "data": {"thing1": {"value": f"通知{n}"}, "phrase2": {"value": "已受理"}}}
            await log.append(notification_events([message]))
            await asyncio.sleep(max(0.0, start + (n + 1) / args.rate - time.perf_counter()))
        deadline = time.perf_counter() + 10
        while len(latencies) < args.events and time.perf_counter() < deadline:
            await asyncio.sleep(0.05)
        cpu = cpu_seconds(pid) - cpu0
        await client.close()
        for ws in sockets:
            await ws.close()

    lat = sorted(latencies)
    pct = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] * 1000  # noqa: E731
    print(f"subscribers benchmark ({args.feed} feed) — {machine()}")
    print(f"{len(tokens)} sockets × 1 subscription connected in {connect_s:.1f} s")
    print(f"server RSS: {before:.1f} MiB before, {after:.1f} MiB with subscribers → "
          f"{(after - before) * 1024 / len(tokens):.1f} KiB per subscriber (socket + subscription)")
    print(f"{args.events} events at {args.rate}/s: {len(lat)} delivered; latency p50 {pct(0.5):.1f} ms, "
          f"p99 {pct(0.99):.1f} ms, max {lat[-1] * 1000:.1f} ms (mean {statistics.mean(lat) * 1000:.1f})")
    print(f"server CPU while events flowed: {cpu:.2f} s ({cpu * 1000 / max(1, len(lat)):.2f} ms per delivered event)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--feed", choices=["change_stream", "poll"], default="change_stream")
    args = parser.parse_args()
    db = start_test_database()
    proc = None
    try:
        uri = db.uri.replace("/?", "/bench_ws?")
        port = free_port()
        proc = start_server([sys.executable, "-m", "community_plus.cli", "serve", "--port", str(port)],
                            {"MONGODB_URI": uri, "CP_BACKGROUND_JOBS": "false", "CP_RATE_LIMITS": "",
                             "CP_ACCESS_TOKEN_TTL": "7200", "CP_REALTIME_FEED": args.feed})
        wait_http(f"http://127.0.0.1:{port}/healthz")
        asyncio.run(run(uri, port, proc.pid, args))
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(15)
        db.stop()


if __name__ == "__main__":
    main()
