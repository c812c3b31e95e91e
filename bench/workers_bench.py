"""Benchmark: `serve --workers 2` against 1 worker on this machine, and memory per worker
after start-up and after 10,000 requests (no growth = no leak).

    .venv/bin/python bench/workers_bench.py [--requests 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import time
from pathlib import Path

from common import cpu_seconds, load, machine, rss_mib, start_server, wait_http

from community_plus.platform.testing import free_port, start_test_database

LIGHT = "query Me { me { name role community { name } } }"


def children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return [int(p) for p in out]


def serve(uri: str, workers: int) -> tuple[subprocess.Popen, int, list[int]]:
    port = free_port()
    proc = start_server([sys.executable, "-m", "community_plus.cli", "serve", "--port", str(port),
                         "--workers", str(workers)],
                        {"MONGODB_URI": uri, "CP_BACKGROUND_JOBS": "false", "CP_RATE_LIMITS": ""})
    wait_http(f"http://127.0.0.1:{port}/healthz")
    time.sleep(1.5)
    pids = children(proc.pid) if workers > 1 else [proc.pid]
    return proc, port, pids


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=10000)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).parent))
    from home_query import HOME, prepare

    db = start_test_database()
    try:
        uri = db.uri.replace("/?", "/bench?")
        token = asyncio.run(prepare(uri))["resident"]
        headers = {"Authorization": f"Bearer {token}"}
        print(f"workers benchmark — {machine()}")
        for query, label, n in ((HOME, "home query", 600), (LIGHT, "light query", 3000)):
            rates = {}
            for workers in (1, 2):
                proc, port, pids = serve(uri, workers)
                url = f"http://127.0.0.1:{port}/graphql"
                asyncio.run(load(url, {"query": query}, headers, 100, concurrency=20))
                cpu0 = sum(cpu_seconds(p) for p in pids)
                res = asyncio.run(load(url, {"query": query}, headers, n, concurrency=20))
                cpu_ms = (sum(cpu_seconds(p) for p in pids) - cpu0) / n * 1000
                rates[workers] = res.rps
                proc.terminate()
                proc.wait(30)
                print(f"{label:12} {workers} worker(s): {res.rps:7.1f} req/s, p50 {res.pct(0.5):6.1f} ms, "
                      f"p99 {res.pct(0.99):6.1f} ms, {cpu_ms:.2f} ms CPU/req (all workers), errors {res.errors}")
                if workers == 1:
                    per_core = 1000 / cpu_ms
            print(f"{label:12} scaling 2 workers / 1 worker: {rates[2] / rates[1]:.2f}; estimate with the database "
                  f"elsewhere: {per_core:.0f} req/s per worker core, N workers ≈ N × {per_core:.0f} req/s")
        proc, port, pids = serve(uri, 1)
        url = f"http://127.0.0.1:{port}/graphql"
        pid = pids[0]
        asyncio.run(load(url, {"query": HOME}, headers, 200, concurrency=10))
        start_rss = rss_mib(pid)
        cpu0 = cpu_seconds(pid)
        res = asyncio.run(load(url, {"query": LIGHT}, headers, args.requests, concurrency=10))
        mid_rss = rss_mib(pid)
        res2 = asyncio.run(load(url, {"query": LIGHT}, headers, args.requests, concurrency=10))
        end_rss = rss_mib(pid)
        cpu_ms = (cpu_seconds(pid) - cpu0) / (2 * args.requests) * 1000
        proc.terminate()
        proc.wait(30)
        print(f"memory per worker: {start_rss:.0f} MiB after start-up and seed, {mid_rss:.0f} MiB after "
              f"{args.requests} requests, {end_rss:.0f} MiB after {2 * args.requests} "
              f"(growth in the second {args.requests}: {end_rss - mid_rss:+.1f} MiB); "
              f"{cpu_ms:.2f} ms CPU per light request; errors {res.errors + res2.errors}")
    finally:
        db.stop()


if __name__ == "__main__":
    main()
