"""Shared benchmark helpers: a throwaway database, a seeded world, servers in subprocesses,
a load generator, and CPU/memory readings from /proc."""

from __future__ import annotations

import asyncio
import os
import platform as py_platform
import statistics
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))


def machine() -> str:
    cpus = os.cpu_count()
    load = os.getloadavg()[0]
    return f"{py_platform.machine()}, {cpus} cores, Python {py_platform.python_version()}, load avg {load:.1f}"


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (and its threads) from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def wait_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def start_server(args: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(args, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@dataclass
class LoadResult:
    requests: int
    seconds: float
    latencies: list[float]
    errors: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def pct(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000


async def load(url: str, body: dict, headers: dict[str, str], requests: int, concurrency: int = 10) -> LoadResult:
    """`requests` POSTs with at most `concurrency` in flight (a mini-program allows 10)."""
    latencies: list[float] = []
    errors = 0
    queue = iter(range(requests))

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal errors
        for _ in queue:
            t0 = time.perf_counter()
            async with session.post(url, json=body, headers=headers) as resp:
                data = await resp.json(content_type=None)
                if resp.status != 200 or (isinstance(data, dict) and data.get("errors")):
                    errors += 1
            latencies.append(time.perf_counter() - t0)

    start = time.perf_counter()
    async with aiohttp.ClientSession() as session:
        await asyncio.gather(*[worker(session) for _ in range(concurrency)])
    return LoadResult(requests, time.perf_counter() - start, latencies, errors)


def median(values: list[float]) -> float:
    return statistics.median(values)
