"""Fault injection: the test's own database process is paused, resumed, killed and restarted
under a bounded load. Every answer is 200 or 503 + Retry-After (never another 5xx, never
INTERNAL_SERVER_ERROR), the service recovers by itself, and every acknowledged write is stored
exactly once. Figures (recovery seconds, writes acknowledged vs stored) are printed."""

from __future__ import annotations

import asyncio
import collections
import json
import os
import signal
import subprocess
import sys
import time
import traceback
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestServer

from community_plus.app import create_app
from community_plus.keys import ADMISSION, PLATFORM
from community_plus.platform.embedded import EmbeddedDatabase
from community_plus.demo.seed import seed
from community_plus.settings import load_settings
from community_plus.platform.testing import free_port
from community_plus_harness import staff_token
from workorder_fixtures import resident_token

HOME = "query Home { me { name } workOrders(first: 5) { totalCount edges { node { id state } } } }"
SUBMIT = "mutation Submit($input: SubmitWorkOrderInput!) { submitWorkOrder(input: $input) { id } }"
CREATE_RESIDENT = "mutation Create($i: CreateResidentInput!) { createResident(input: $i) { id name } }"
LOGIN = 'mutation { loginWithPassword(username: "admin001", password: "community-plus") { accessToken } }'


class _ResolverErrors:
    """The server's "unexpected error in resolver" entries, so that a failure names the exception
    (the log itself goes on to the real logger)."""

    def __init__(self, log) -> None:
        self.log, self.seen = log, []

    def error(self, event, **kw):
        exc = kw.get("exc_info")
        if isinstance(exc, BaseException):
            frames = traceback.extract_tb(exc.__traceback__)[-4:]
            chain = []
            while exc is not None:
                chain.append(f"{type(exc).__module__}.{type(exc).__name__}: {str(exc)[:200]}")
                exc = exc.__cause__ or exc.__context__
            self.seen.append(f"{event} {kw.get('path')}: {' <- '.join(chain)} at "
                             + " / ".join(f"{f.filename.rsplit('/', 2)[-1]}:{f.lineno}" for f in frames))
        return self.log.error(event, **kw)

    def __getattr__(self, name):
        return getattr(self.log, name)


@pytest.fixture
def resolver_errors(monkeypatch):
    from community_plus.graphql import view

    recorder = _ResolverErrors(view.log)
    monkeypatch.setattr(view, "log", recorder)
    return recorder.seen


@pytest.fixture
def own_database(tmp_path):
    db = EmbeddedDatabase(tmp_path / "faultdb", port=free_port())
    db.start()
    yield db
    if db.process and db.process.poll() is None:
        os.kill(db.process.pid, signal.SIGCONT)
    db.stop()


def _settings(db: EmbeddedDatabase, tmp_path: Path, **extra: str):
    return load_settings(MONGODB_URI=db.uri.replace("/?", "/faults?"), CP_DATA_DIR=str(tmp_path),
                         CP_LOG_FORMAT="console", CP_RATE_LIMITS="", CP_BACKGROUND_JOBS="false", **extra)


async def _serve(settings, **server_kw):
    app = create_app(settings)
    server = TestServer(app, **server_kw)
    await server.start_server()
    await seed(app[PLATFORM], communities=1, residents_per_community=20, grids_per_community=2,
               work_orders_per_community=5)
    return app, server


async def _wait_until(predicate, timeout: float, what: str) -> float:
    """Poll `predicate` (async) until true; return the seconds it took."""
    started = time.monotonic()
    while not await predicate():
        assert time.monotonic() - started < timeout, f"{what}: not within {timeout:.0f}s"
        await asyncio.sleep(0.1)
    return time.monotonic() - started


class Load:
    """Residents reading their home screen and submitting orders (with idempotency keys,
    retried on 503 like a mini-program would), counting every answer."""

    def __init__(self, url: str, tokens: list[str], admin_token: str | None = None) -> None:
        self.url = url
        self.tokens = tokens
        self.admin_token = admin_token
        self.residents: dict[str, str] = {}  # Idempotency-Key → acknowledged resident id
        self.answers: collections.Counter = collections.Counter()
        self.bad: list[tuple[int, dict]] = []
        self.acknowledged: dict[str, str] = {}
        self.stop = asyncio.Event()

    async def _post(self, session, token, query, variables=None, key=None):
        headers = {"Authorization": f"Bearer {token}", **({"Idempotency-Key": key} if key else {})}
        async with session.post(self.url, json={"query": query, "variables": variables or {}}, headers=headers,
                                timeout=aiohttp.ClientTimeout(total=30)) as resp:
            body = await resp.json(content_type=None)
            codes = {e.get("extensions", {}).get("code") for e in body.get("errors") or []}
            self.answers[resp.status] += 1
            if resp.status not in (200, 503) or "INTERNAL_SERVER_ERROR" in codes or (
                    resp.status == 503 and "Retry-After" not in resp.headers):
                self.bad.append((resp.status, body))
            return resp.status, body, codes

    async def client(self, i: int, session) -> None:
        token = self.tokens[i % len(self.tokens)]
        n = 0
        while not self.stop.is_set():
            n += 1
            if n % 3:
                await self._post(session, token, HOME)
                continue
            key = f"c{i}-{n}"
            resident = self.admin_token is not None and i % 2 == 0
            if resident:  # a desk registering residents, made retry-safe by the Idempotency-Key header
                token, query, variables = self.admin_token, CREATE_RESIDENT, {
                    "i": {"name": f"居民{key}", "birthDate": "1950-01-01"}}
            else:  # a resident's report, with the input's own idempotencyKey
                query, variables = SUBMIT, {"input": {"description": f"故障测试{i}-{n}", "idempotencyKey": key}}
            for _attempt in range(50):  # retried until acknowledged, as a client would
                status, body, codes = await self._post(session, token, query, variables, key if resident else None)
                if status == 200 and not codes:
                    if resident:
                        made = body["data"]["createResident"]["id"]
                        assert self.residents.setdefault(key, made) == made, "a retry created a second resident"
                    else:
                        order = body["data"]["submitWorkOrder"]["id"]
                        assert self.acknowledged.setdefault(key, order) == order, "a retry created a second order"
                    break
                await asyncio.sleep(0.2)  # a started action is finished even after `stop`

    async def run(self, clients: int):
        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=clients))
        tasks = [asyncio.create_task(self.client(i, session)) for i in range(clients)]

        async def finish():
            self.stop.set()
            await asyncio.gather(*tasks)
            await session.close()

        return finish


async def test_pause_resume_kill_restart_under_load(own_database, tmp_path, resolver_errors):
    db = own_database
    app, server = await _serve(_settings(db, tmp_path, CP_REQUEST_TIMEOUT="3"))
    platform = app[PLATFORM]
    try:
        residents = await platform.residents.coll.find({"relation": "self"}).limit(10).to_list()
        admin = await staff_token(platform, "admin001")
        load = Load(str(server.make_url("/graphql")), [await resident_token(platform, r) for r in residents], admin)
        finish = await load.run(20)

        async def ready() -> bool:
            async with aiohttp.ClientSession() as s, s.get(str(server.make_url("/readyz"))) as resp:
                return resp.status == 200

        async def serving() -> bool:
            before = load.answers[200]
            await asyncio.sleep(0.3)
            return load.answers[200] > before

        async def not_ready() -> bool:
            return not await ready()

        figures = {}
        await _wait_until(serving, 20, "load started")
        os.kill(db.process.pid, signal.SIGSTOP)  # the database hangs
        figures["pause → readyz 503"] = await _wait_until(not_ready, 10, "readyz reports the paused database")
        await asyncio.sleep(1.0)  # let requests pile up against the paused database
        os.kill(db.process.pid, signal.SIGCONT)
        figures["resume → serving"] = await _wait_until(serving, 15, "recovered after resume")
        os.kill(db.process.pid, signal.SIGKILL)  # then it dies
        db.process.wait()
        figures["kill → readyz 503"] = await _wait_until(not_ready, 10, "readyz reports the dead database")
        db.start()  # same port, same data
        figures["restart → readyz 200"] = await _wait_until(ready, 20, "readyz after restart")
        figures["restart → serving"] = await _wait_until(serving, 20, "recovered after restart")
        await finish()
        assert not load.bad, (resolver_errors[:3], load.bad[:3])
        stored = await platform.work_orders.coll.find(
            {"idempotencyKey": {"$in": list(load.acknowledged)}}, {"idempotencyKey": 1}).to_list()
        keys = [d["idempotencyKey"] for d in stored]
        assert len(keys) == len(set(keys)), "duplicate orders for one idempotency key"
        assert set(keys) == set(load.acknowledged), "an acknowledged write was lost"
        assert load.answers[503] > 0, "the faults went unnoticed"
        names = [f"居民{k}" for k in load.residents]
        made = await platform.residents.coll.find({"name": {"$regex": "^居民c"}}, {"name": 1}).to_list()
        assert sorted(d["name"] for d in made) == sorted(names), "residents lost or duplicated"
        print(f"\nfaults: {', '.join(f'{k} {v:.1f}s' for k, v in figures.items())}; answers {dict(load.answers)}; "
              f"writes acknowledged {len(load.acknowledged)} + {len(names)}, stored {len(keys)} + {len(made)}")
    finally:
        await server.close()


async def test_deadline_and_load_shedding(own_database, tmp_path):
    """A paused database holds a request for at most its budget; beyond the queue, 503 at once."""
    db = own_database
    settings = _settings(db, tmp_path, CP_REQUEST_TIMEOUT="1.5", CP_MAX_CONCURRENT="2", CP_MAX_QUEUE="2",
                         CP_QUEUE_WAIT="5")
    app, server = await _serve(settings, handler_cancellation=True)
    try:
        url = str(server.make_url("/graphql"))
        async with aiohttp.ClientSession() as s:
            async with s.post(url, json={"query": LOGIN}) as resp:
                token = (await resp.json())["data"]["loginWithPassword"]["accessToken"]
            query = {"query": "{ residents(first: 5) { totalCount } }"}
            headers = {"Authorization": f"Bearer {token}"}

            async def ask():
                started = time.monotonic()
                async with s.post(url, json=query, headers=headers) as resp:
                    body = await resp.json()
                    return resp.status, body["errors"][0]["extensions"], time.monotonic() - started, resp.headers

            os.kill(db.process.pid, signal.SIGSTOP)
            answers = await asyncio.gather(*[ask() for _ in range(10)])
            os.kill(db.process.pid, signal.SIGCONT)
        assert all(status == 503 and ext["code"] == "SERVICE_UNAVAILABLE" and "Retry-After" in h
                   for status, ext, _, h in answers), answers
        shed = [a for a in answers if a[1].get("reason") == "OVERLOADED"]
        assert len(shed) >= 6, answers  # 2 running + 2 queued; the rest are refused at once
        assert max(t for *_, t, _ in shed) < max(t for _, _, t, _ in answers)
        # the admitted ones waited for the database no longer than their budget (and the queue)
        assert max(t for _, _, t, _ in answers) < 1.5 * 2 + 3
    finally:
        await server.close()


async def test_client_disconnect_cancels_the_work(own_database, tmp_path):
    db = own_database
    app, server = await _serve(_settings(db, tmp_path, CP_REQUEST_TIMEOUT="30"), handler_cancellation=True)
    admission = app[ADMISSION]
    try:
        url = str(server.make_url("/graphql"))
        async with aiohttp.ClientSession() as s, s.post(url, json={"query": LOGIN}) as resp:
            token = (await resp.json())["data"]["loginWithPassword"]["accessToken"]
        os.kill(db.process.pid, signal.SIGSTOP)
        async with aiohttp.ClientSession() as s:
            async def leave():
                with pytest.raises(TimeoutError):
                    await s.post(url, json={"query": "{ residents(first: 5) { totalCount } }"},
                                 headers={"Authorization": f"Bearer {token}"}, timeout=aiohttp.ClientTimeout(total=0.5))
            await asyncio.gather(*[leave() for _ in range(5)])

        async def drained() -> bool:
            return admission.running == 0 and admission.waiting == 0

        await _wait_until(drained, 10, "handlers cancelled after their clients left")
        os.kill(db.process.pid, signal.SIGCONT)
    finally:
        await server.close()


def _serve_process(tmp_path: Path) -> tuple[subprocess.Popen, str, Path]:
    port = free_port()
    env = {**os.environ, "CP_DATA_DIR": str(tmp_path / "data"), "CP_DB_PORT": str(free_port()),
           "CP_RATE_LIMITS": "", "CP_BACKGROUND_JOBS": "false", "CP_LOG_FORMAT": "console"}
    proc = subprocess.Popen([sys.executable, "-m", "community_plus.cli", "serve", "--port", str(port)], env=env,
                            stdout=open(tmp_path / "serve.log", "w"), stderr=subprocess.STDOUT)
    return proc, f"http://127.0.0.1:{port}", tmp_path / "data" / "secantusd.json"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return Path(f"/proc/{pid}").exists() and "Z" not in Path(f"/proc/{pid}/stat").read_text().split()[2]


async def test_serve_restarts_its_database_and_stops_on_sigterm(tmp_path):
    proc, base, state = _serve_process(tmp_path)
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as s:
            async def status(path: str) -> int:
                try:
                    async with s.get(base + path) as resp:
                        return resp.status
                except aiohttp.ClientError:
                    return 0

            async def ready() -> bool:
                return await status("/readyz") == 200

            await _wait_until(ready, 60, "serve ready")
            first = json.loads(state.read_text())["pid"]
            os.kill(first, signal.SIGKILL)  # the embedded database dies

            async def restarted() -> bool:
                try:
                    pid = json.loads(state.read_text())["pid"]
                except (OSError, ValueError):
                    return False
                return pid != first and await ready()

            recovery = await _wait_until(restarted, 30, "the server restarted its database")
            assert await status("/healthz") == 200
            second = json.loads(state.read_text())["pid"]
            os.kill(second, signal.SIGSTOP)  # now a hung database at shutdown time
            started = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            proc.wait(40)
            stopped = time.monotonic() - started
        assert proc.returncode == 0, (tmp_path / "serve.log").read_text()[-2000:]
        log = (tmp_path / "serve.log").read_text()
        assert "embedded database exited" in log and "restarted" in log
        deadline = time.monotonic() + 15
        while _pid_alive(second) and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        assert not _pid_alive(second), "the database outlived the server"
        print(f"\nserve: database restarted after kill in {recovery:.1f}s; SIGTERM with a paused database "
              f"exited in {stopped:.1f}s")
    finally:
        if proc.poll() is None:
            proc.kill()


async def test_idempotency_key_header_makes_any_mutation_safe_to_retry(gql, world, platform):
    """One rule for every mutation: the same key and request replay the first answer; another
    request with that key is CONFLICT; a bad key is BAD_USER_INPUT; keys are per caller."""
    admin = await gql.login("admin001")
    variables = {"i": {"name": "重试居民", "birthDate": "1950-01-01"}}
    headers = {"Idempotency-Key": "create-resident-0001"}
    first = await gql(CREATE_RESIDENT, variables, admin, headers=headers)
    again = await gql(CREATE_RESIDENT, variables, admin, headers=headers)
    assert not first.get("errors") and again["data"] == first["data"]
    assert again["extensions"]["idempotentReplay"] is True
    assert await platform.residents.coll.count_documents({"name": "重试居民"}) == 1
    other = await gql(CREATE_RESIDENT, {"i": {**variables["i"], "name": "别的居民"}}, admin, headers=headers)
    assert other["errors"][0]["extensions"]["code"] == "CONFLICT"
    assert other["errors"][0]["extensions"]["reason"] == "IDEMPOTENCY_KEY_REUSED"
    bad = await gql(CREATE_RESIDENT, variables, admin, headers={"Idempotency-Key": "空 格"})
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    # a refused attempt (here: invalid input) releases its key for the corrected request
    refused = await gql(CREATE_RESIDENT, {"i": {"name": ""}}, admin, headers={"Idempotency-Key": "fix-and-retry"})
    assert refused["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    fixed = await gql(CREATE_RESIDENT, {"i": {"name": "改正后", "birthDate": "1950-01-01"}}, admin,
                      headers={"Idempotency-Key": "fix-and-retry"})
    assert not fixed.get("errors")
    # the same key from another caller is another action
    other_admin = await gql.login("admin002")
    theirs = await gql(CREATE_RESIDENT, {"i": {"name": "别的居民", "birthDate": "1950-01-01"}}, other_admin,
                       headers=headers)
    assert not theirs.get("errors")
    # a module's mutation gets the same treatment
    c1 = world["communities"][0]["_id"]
    await gql.ok('mutation($c: ID!) { setModuleEnabled(communityId: $c, module: "test_notices", enabled: true) { enabled } }',
                 {"c": c1}, token=admin)
    notice = 'mutation { createNotice(input: {title: "停水通知"}) { id } }'
    one = await gql(notice, None, admin, headers={"Idempotency-Key": "notice-1"})
    two = await gql(notice, None, admin, headers={"Idempotency-Key": "notice-1"})
    assert not one.get("errors") and two["data"] == one["data"]
    assert await platform.db["test_notices__notices"].count_documents({}) == 1


async def test_retry_while_the_first_attempt_runs_is_refused_not_repeated(gql, world, platform):
    """Concurrent attempts with one key: exactly one runs; the others are told to retry."""
    admin = await gql.login("admin001")
    variables = {"i": {"name": "并发居民", "birthDate": "1950-01-01"}}
    answers = await asyncio.gather(*[gql(CREATE_RESIDENT, variables, admin, headers={"Idempotency-Key": "same-key"})
                                     for _ in range(8)])
    ok = [a for a in answers if not a.get("errors")]
    busy = [a for a in answers if a.get("errors")]
    assert ok and all(a["data"] == ok[0]["data"] for a in ok)
    assert all(a["errors"][0]["extensions"]["reason"] == "IDEMPOTENCY_IN_PROGRESS"
               and a["errors"][0]["extensions"]["retryable"] for a in busy)
    assert await platform.residents.coll.count_documents({"name": "并发居民"}) == 1
