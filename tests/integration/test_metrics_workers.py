"""Bounded metric labels, the access log, and metrics summed over `serve --workers N`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from community_plus.keys import METRICS, PLATFORM
from community_plus.platform.testing import free_port

CLI = [sys.executable, "-m", "community_plus.cli"]


def _operation_labels(text: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith("cp_graphql_operations_total{"):
            labels, value = line.rsplit(" ", 1)
            out[labels[len("cp_graphql_operations_total"):]] = float(value)
    return out


async def test_only_registered_operations_name_a_label(client, gql, world):
    token = await gql.login("admin")
    persisted = client.app[PLATFORM].persisted_queries
    await persisted.store("query RegisteredHome { me { name } }", registered=True)
    await gql.ok("query RegisteredHome { me { name } }", token=token, operationName="RegisteredHome")
    for i in range(5):  # client-chosen names: one series between them
        await gql.ok(f"query Made{i} {{ me {{ name }} }}", token=token, operationName=f"Made{i}")
    await gql.ok("{ me { name } }", token=token)
    resp = await client.post("/graphql", json={"query": "{ me { name } }", "operationName": ["a", "b"]})
    assert resp.status == 400 and (await resp.json())["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    labels = _operation_labels(await (await client.get("/metrics")).text())
    assert labels == {'{operation="RegisteredHome",status="ok"}': 1.0, '{operation="other",status="ok"}': 5.0,
                      '{operation="anonymous",status="ok"}': 2.0}  # with the login
    assert client.app[METRICS].operation_label(["a"]) == "anonymous"


def _post(port: int, payload: dict) -> int:
    req = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", data=json.dumps(payload).encode(),
                                 headers={"Content-Type": "application/json", "Connection": "close"})
    with urllib.request.urlopen(req, timeout=20) as resp:
        return resp.status


def _get(port: int, path: str) -> str:
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Connection": "close"})
    with urllib.request.urlopen(req, timeout=20) as resp:
        return resp.read().decode()


def _serve(db_uri: str, tmp_path: Path, workers: int, **env: str) -> tuple[subprocess.Popen, int, list[str]]:
    port = free_port()
    full = {**{k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"},
            "MONGODB_URI": db_uri, "CP_DATA_DIR": str(tmp_path / "data"), "CP_ENV": "dev",
            "CP_LOG_FORMAT": "json", "CP_BACKGROUND_JOBS": "false", "CP_RATE_LIMITS": "",
            "CP_WECHAT_APPID": "wx-test", "CP_WECHAT_SECRET": "test-secret",  # no fake WeChat server on 9081
            "CP_WECHAT_API_BASE": "http://127.0.0.1:9", **env}
    proc = subprocess.Popen([*CLI, "serve", "--port", str(port), "--workers", str(workers)], env=full,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(proc.stderr), daemon=True).start()
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            _get(port, "/readyz")
            return proc, port, lines
        except OSError:
            assert proc.poll() is None, "".join(lines)
            time.sleep(0.2)
    raise AssertionError("server did not come up:\n" + "".join(lines))


def _stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    proc.wait(90)  # a worker gets 50 s to stop before the supervisor kills it


def _json(line: str) -> dict | None:
    try:
        return json.loads(line)
    except ValueError:
        return None


def _access_lines(lines: list[str]) -> list[dict]:
    out = []
    for line in list(lines):
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("event") == "request" and "route" in entry:
            out.append(entry)
    return out


def _startup_lines(lines: list[str]) -> str:
    """What the workers said apart from the access log (start-up phases, tracebacks)."""
    return "".join(line for line in list(lines) if '"event": "request"' not in line)[-6000:]


def test_two_workers_sum_their_counters_and_log_each_request(db_uri, tmp_path):
    metrics_dir = tmp_path / "prom"
    metrics_dir.mkdir()
    (metrics_dir / "counter_1.db").write_bytes(b"stale")  # a previous run's samples: removed on start
    proc, port, lines = _serve(db_uri, tmp_path, 2, PROMETHEUS_MULTIPROC_DIR=str(metrics_dir))
    try:
        assert not (metrics_dir / "counter_1.db").exists()
        for i in range(16):  # a new connection each: SO_REUSEPORT spreads them over both workers
            assert _post(port, {"query": "query Q { __typename }", "operationName": "Q",
                                "extensions": {"n": i}}) == 200
        # the second worker may still be starting (schemas, indexes, the migrations lock) on a
        # loaded machine: wait for it to take connections, however long its start-up takes
        deadline = time.monotonic() + 120
        while len({p.stem.rsplit("_", 1)[1] for p in metrics_dir.glob("counter_*.db")}) < 2:
            assert time.monotonic() < deadline, "one worker served every request\n" + _startup_lines(lines)
            _post(port, {"query": "query Q { __typename }", "operationName": "Q"})
        served = _operation_labels(_get(port, "/metrics"))['{operation="other",status="ok"}']
        for _ in range(6):  # whichever worker answers, it reports the sum: never less than before
            labels = _operation_labels(_get(port, "/metrics"))
            assert labels['{operation="other",status="ok"}'] == served >= 16
        deadline = time.monotonic() + 10
        while (logged := len([e for e in _access_lines(lines) if e["route"] == "/graphql"])) < served:
            assert time.monotonic() < deadline, f"{logged} of {served} requests logged\n" + _startup_lines(lines)
            time.sleep(0.05)
        broken = [line for line in list(lines) if line.startswith("{") and not _json(line)]
        assert not broken, broken[:3]  # the workers' lines never interleave: one write per line
        entry = next(e for e in _access_lines(lines) if e["route"] == "/graphql")
        assert entry["method"] == "POST" and entry["status"] == 200 and entry["operation"] == "Q"
        assert entry["role"] == "anonymous" and len(entry["request_id"]) == 32 and entry["duration_ms"] >= 0
    finally:
        _stop(proc)


def test_access_log_can_be_switched_off(db_uri, tmp_path):
    proc, port, lines = _serve(db_uri, tmp_path, 1, CP_ACCESS_LOG="false")
    try:
        assert _post(port, {"query": "{ __typename }"}) == 200
        assert "ok" in _get(port, "/healthz")
    finally:
        _stop(proc)
    assert proc.returncode == 0
    assert _access_lines(lines) == [] and any('"database ready"' in line for line in lines)


def _workers(proc: subprocess.Popen) -> set[int]:
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
    return {int(pid) for pid in children}


def test_a_worker_that_dies_is_replaced(db_uri, tmp_path):
    metrics_dir = tmp_path / "prom"
    metrics_dir.mkdir()
    proc, port, lines = _serve(db_uri, tmp_path, 2, PROMETHEUS_MULTIPROC_DIR=str(metrics_dir))
    try:
        first = _workers(proc)
        assert len(first) == 2
        deadline = time.monotonic() + 120
        while not all((metrics_dir / f"counter_{pid}.db").exists() for pid in first):  # both serve
            assert time.monotonic() < deadline, "one worker served every request\n" + _startup_lines(lines)
            assert _post(port, {"query": "query Q { __typename }", "operationName": "Q"}) == 200
        victim = min(first)
        os.kill(victim, signal.SIGKILL)  # e.g. the kernel's out-of-memory killer
        while len(now := _workers(proc)) < 2 or victim in now:
            assert time.monotonic() < deadline, "the dead worker was not replaced\n" + _startup_lines(lines)
            time.sleep(0.1)
        (new,) = now - first
        while not (metrics_dir / f"counter_{new}.db").exists():  # it starts, then takes its share
            assert time.monotonic() < deadline, "the new worker never served\n" + _startup_lines(lines)
            assert _post(port, {"query": "query Q { __typename }", "operationName": "Q"}) == 200
    finally:
        _stop(proc)
    assert proc.returncode == 0  # a requested stop is still a clean one
