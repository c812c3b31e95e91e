"""`community-plus sandbox [PATH]`: a plugin under development, live, in one command.

The supervisor (this module) keeps running, for the whole session:
- the embedded database (`acquire_database`; `MONGODB_URI` when set), seeded small when empty;
- the fake WeChat server (`community_plus_sandbox.wechat`), in this process, with a demo
  resident whose phone matches a resident record of the first community, the demo
  subscription templates (the server's `CP_WECHAT_TEMPLATES` points at them) and
  `SANDBOX_GRANTS` one-time grants of each by that resident, so that a module's
  `ctx.notify` to the resident really arrives (`/_fake/messages`);
- a watcher polling the plugin folder's files (mtime and size; no extra dependency, and it
  works on every file system, including mounted folders where inotify does not).
It runs the server as a child process (`worker.py`) and restarts only that process when a
plugin file changes: the database and the fake WeChat keep their state. The plugin is
`pip install -e`d first (into `--target` when given), re-installed when pyproject.toml
changes, and `plugin check` runs after every (re)start so mistakes show up at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from importlib.metadata import distributions
from pathlib import Path

import aiohttp
from rich.console import Console
from rich.markup import escape

from community_plus.devtools.project import GROUP, PluginProject, normalize_dist

APPID = "wx5a4db0c0ffee0001"
RESIDENT_USER, RESIDENT_PHONE, RESIDENT_NAME = "resident", "13800138000", "沙盒居民"
PASSWORD = "community-plus"
POLL_SECONDS = 0.4
SETTLE_SECONDS = 0.3
READY_TIMEOUT = 120.0
SANDBOX_GRANTS = 50  # one-time subscriptions the demo resident accepted, per template (more: POST /_fake/grant)
IGNORED_SUFFIXES = (".pyc", ".pyo", ".swp", ".swx", ".tmp", "~")
IGNORED_DIRS = {"__pycache__", "build", "dist", "node_modules", "venv", "tests"}

console = Console(soft_wrap=True, highlight=False)


class SandboxError(Exception):
    """The sandbox cannot start; the message says why and what to do."""


@dataclass
class SandboxOptions:
    plugin: Path | None = None
    host: str = "127.0.0.1"
    port: int = 8088
    wechat_port: int = 9080
    db_port: int = 27218
    data_dir: Path = Path(".community-plus/sandbox")
    communities: int = 3
    residents_per_community: int = 60
    target: Path | None = None
    install: bool = True

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def wechat_base(self) -> str:
        return f"http://{self.host}:{self.wechat_port}"


# -- installing the plugin --------------------------------------------------------------------
def _installed_editable(project: PluginProject, target: Path | None) -> bool:
    """Whether this folder is already installed in editable mode with the same entry points."""
    own = normalize_dist(project.dist_name or "")
    wanted = {ep.name: ep.value for ep in project.entry_points}
    for dist in distributions(path=[str(target)]) if target else distributions():
        if normalize_dist(dist.metadata["Name"] or "") != own:
            continue
        try:
            direct = json.loads(dist.read_text("direct_url.json") or "{}")
        except ValueError:
            return False
        eps = {ep.name: ep.value for ep in dist.entry_points if ep.group == GROUP}
        return bool(direct.get("dir_info", {}).get("editable")) and direct.get("url") == project.root.as_uri() \
            and eps == wanted
    return False


def install_command(project: PluginProject, target: Path | None) -> list[str]:
    cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    if target is not None:  # community-plus itself is already importable: never copy it into the target
        cmd += ["--no-deps", "--upgrade", "--target", str(target)]
    return [*cmd, "-e", str(project.root)]


def install_plugin(project: PluginProject, target: Path | None, *, force: bool = False) -> None:
    if not force and _installed_editable(project, target):
        console.print(f"[green]✔[/] {project.dist_name} is installed in editable mode")
        return
    console.print(f"installing {project.dist_name} in editable mode (pip install -e {project.root})…")
    proc = subprocess.run(install_command(project, target), capture_output=True, text=True)
    if proc.returncode != 0:
        raise SandboxError(f"pip install -e {project.root} failed:\n{proc.stderr.strip()[-2000:]}")


# -- the database -----------------------------------------------------------------------------
async def seed_database(uri: str, settings, communities: int, residents: int) -> bool:
    """Seed the demo communities into an empty database; whether it seeded."""
    from community_plus.platform import db as dbm
    from community_plus.platform.context import Platform
    from community_plus.modules.seeding import attach_cli_extensions
    from community_plus.demo.seed import seed

    client = dbm.connect(uri)
    platform = Platform(settings.model_copy(update={"mongodb_uri": uri}), client, dbm.database_of(client))
    try:
        if await platform.regions.count() != 0:
            return False
        console.print(f"empty database: seeding {communities} demo communities ({residents} residents each)…")
        await dbm.ensure_indexes(platform.db, {r.collection: r.indexes for r in platform.repositories()})
        attach_cli_extensions(platform)
        await seed(platform, communities, residents, grids_per_community=2, work_orders_per_community=5,
                   extra=platform.seed_extra)
        return True
    finally:
        await client.close()


def seed_if_empty(uri: str, settings, communities: int, residents: int) -> None:
    asyncio.run(seed_database(uri, settings, communities, residents))


# -- WeChat -----------------------------------------------------------------------------------
def sandbox_fake_wechat(secret: str) -> aiohttp.web.Application:
    """The sandbox's fake WeChat app: the demo templates, the demo resident (the phone of a
    resident record, see `ensure_demo_resident`) and their `SANDBOX_GRANTS` grants of each
    template, as if they had accepted `wx.requestSubscribeMessage` that often."""
    from community_plus_sandbox.wechat import FAKE_WECHAT
    from community_plus_sandbox.wechat.runner import DEMO_TEMPLATE_IDS, demo_fake_wechat

    app = demo_fake_wechat(APPID, secret, phones={RESIDENT_USER: RESIDENT_PHONE})
    fake = app[FAKE_WECHAT]
    for template_id in DEMO_TEMPLATE_IDS.values():
        fake.grant_subscription(fake.openid_of(RESIDENT_USER), template_id, SANDBOX_GRANTS)
    return app


def sandbox_environment(options: SandboxOptions, uri: str, secret: str, dist: str | None,
                        wechat_base: str | None = None) -> dict[str, str]:
    """What the server process is configured with (on top of the caller's environment): the
    database, dev mode, and WeChat pointed at the sandbox's fake with its demo templates."""
    from community_plus_sandbox.wechat.runner import demo_templates_setting

    return {"MONGODB_URI": uri, "CP_DATA_DIR": str(Path(options.data_dir).resolve()), "CP_ENV": "dev",
            "CP_LOG_FORMAT": "console", "CP_WECHAT_API_BASE": wechat_base or options.wechat_base,
            "CP_WECHAT_APPID": APPID, "CP_WECHAT_SECRET": secret, "CP_WECHAT_TEMPLATES": demo_templates_setting(),
            "CP_SANDBOX_RESIDENT": RESIDENT_USER, "CP_SANDBOX_DIST": dist or ""}


# -- the server process -----------------------------------------------------------------------
def _parent_death_signal() -> None:  # in the child, before exec (Linux): no orphaned servers
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)


class ServerProcess:
    """The server worker: started, awaited until ready, stopped; on restart a warm spare (the
    server imported, no plugin yet) takes over, which halves the time to reload."""

    def __init__(self, options: SandboxOptions, env: dict[str, str]) -> None:
        self.options = options
        self.env = env
        self.proc: asyncio.subprocess.Process | None = None
        self.spare: asyncio.subprocess.Process | None = None

    async def _spawn(self, wait: bool) -> asyncio.subprocess.Process:
        o = self.options
        # -P: never import from the current folder (it may hold the plugin's project folder,
        # whose name is the package's: a namespace package would shadow the real one)
        args = ["-P", "-m", "community_plus.devtools.worker", "--host", o.host, "--port", str(o.port)]
        if o.target is not None:
            args += ["--site", str(o.target.resolve())]
        if wait:
            args.append("--wait")
        return await asyncio.create_subprocess_exec(
            sys.executable, *args, env=self.env, stdin=subprocess.PIPE if wait else subprocess.DEVNULL,
            start_new_session=True, preexec_fn=_parent_death_signal)

    async def start(self) -> None:
        spare, self.spare = self.spare, None
        if spare is not None and spare.returncode is None:
            spare.stdin.write(b"start\n")
            await spare.stdin.drain()
            self.proc = spare
        else:
            self.proc = await self._spawn(wait=False)

    async def warm_spare(self) -> None:
        """Prepare the next server process (call once the current one is ready)."""
        if self.spare is None or self.spare.returncode is not None:
            self.spare = await self._spawn(wait=True)

    async def discard_spare(self) -> None:
        """Drop the spare (after a reinstall its import paths may be stale)."""
        spare, self.spare = self.spare, None
        if spare is not None and spare.returncode is None:
            spare.stdin.close()
            await spare.wait()

    async def ready(self, timeout: float = READY_TIMEOUT) -> bool:
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession() as http:
            while time.monotonic() < deadline:
                if self.proc is None or self.proc.returncode is not None:
                    return False
                with contextlib.suppress(aiohttp.ClientError, asyncio.TimeoutError):
                    async with http.get(f"{self.options.base}/readyz", timeout=aiohttp.ClientTimeout(total=2)) as r:
                        if r.status == 200:
                            return True
                await asyncio.sleep(0.15)
        return False

    async def stop(self, *, spare: bool = False) -> None:
        if spare:
            await self.discard_spare()
        proc, self.proc = self.proc, None
        if proc is None or proc.returncode is not None:
            return
        proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), 10)
        except TimeoutError:
            proc.kill()
            await proc.wait()


# -- demo resident ----------------------------------------------------------------------------
async def _gql(http: aiohttp.ClientSession, base: str, query: str, variables: dict | None = None,
               token: str | None = None) -> dict:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with http.post(f"{base}/graphql", json={"query": query, "variables": variables or {}}, headers=headers) as r:
        body = await r.json()
    if body.get("errors"):
        raise SandboxError(f"{query.split('(')[0]}: {body['errors'][0].get('message')}")
    return body["data"]


async def ensure_demo_resident(base: str) -> str | None:
    """Bind the fake WeChat user `resident` to a resident record of the first community, through
    the public API (loginWithWechat → createResident → bindPhone); idempotent. Returns the id."""
    async with aiohttp.ClientSession() as http:
        login = 'mutation($u: String!, $p: String!) { loginWithPassword(username: $u, password: $p) { accessToken } }'
        admin = (await _gql(http, base, login, {"u": "admin001", "p": PASSWORD}))["loginWithPassword"]["accessToken"]
        community = (await _gql(http, base, "{ me { communityId } }", token=admin))["me"]["communityId"]
        wx = await _gql(http, base, "mutation($c: String!) { loginWithWechat(code: $c) { accessToken viewer { "
                        "residentId } } }", {"c": f"user:{RESIDENT_USER}:{secrets.token_hex(6)}"})
        if wx["loginWithWechat"]["viewer"]["residentId"]:
            return wx["loginWithWechat"]["viewer"]["residentId"]
        found = await _gql(http, base, "query($c: ID, $n: String) { residents(first: 1, filter: {communityId: $c, "
                           "namePrefix: $n}) { edges { node { id } } } }", {"c": community, "n": RESIDENT_NAME},
                           token=admin)
        if not found["residents"]["edges"]:
            await _gql(http, base, "mutation($i: CreateResidentInput!) { createResident(input: $i) { id } }",
                       {"i": {"name": RESIDENT_NAME, "communityId": community, "phone": RESIDENT_PHONE,
                              "birthDate": "1958-03-12"}}, token=admin)
        bound = await _gql(http, base, "mutation($code: String!, $c: ID, $n: String) { bindPhone(code: $code, "
                           "communityId: $c, name: $n) { status auth { viewer { residentId } } } }",
                           {"code": f"phone:{RESIDENT_USER}:{secrets.token_hex(6)}", "c": community,
                            "n": RESIDENT_NAME}, token=wx["loginWithWechat"]["accessToken"])
        auth = bound["bindPhone"]["auth"]
        return auth["viewer"]["residentId"] if auth else None


# -- watching ---------------------------------------------------------------------------------
def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """mtime and size of the plugin's files (not tests, caches, build output or dot-files)."""
    found: dict[str, tuple[int, int]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        top = Path(dirpath) == root
        dirnames[:] = [d for d in dirnames if not d.startswith(".") and not d.endswith(".egg-info")
                       and d not in IGNORED_DIRS - ({"tests"} if not top else set())]
        for name in filenames:
            if name.startswith((".", "#")) or name.endswith(IGNORED_SUFFIXES):
                continue
            path = Path(dirpath) / name
            with contextlib.suppress(OSError):
                st = path.stat()
                found[str(path.relative_to(root))] = (st.st_mtime_ns, st.st_size)
    return found


def changed_files(before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]]) -> list[str]:
    return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))


# -- the supervisor ---------------------------------------------------------------------------
class Sandbox:
    def __init__(self, options: SandboxOptions, project: PluginProject | None, uri: str, settings) -> None:
        self.options = options
        self.project = project
        self.uri = uri
        self.settings = settings
        self.secret = secrets.token_hex(16)
        self.stop = asyncio.Event()
        env = {**os.environ, **sandbox_environment(options, uri, self.secret, project.dist_name if project else None)}
        self.server = ServerProcess(options, env)

    async def run(self) -> None:
        from community_plus_sandbox.wechat.runner import serve_fake_wechat

        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.stop.set)
        listening = asyncio.Event()
        wechat = asyncio.create_task(serve_fake_wechat(
            APPID, self.secret, self.options.host, self.options.wechat_port, app=sandbox_fake_wechat(self.secret),
            on_ready=lambda base: listening.set(), stop=self.stop))
        try:
            await asyncio.wait_for(listening.wait(), 10)
            await self.server.start()
            if not await self.server.ready():
                raise SandboxError("the server did not start: see its output above")
            await self.server.warm_spare()
            try:
                await ensure_demo_resident(self.options.base)
            except (SandboxError, aiohttp.ClientError) as exc:
                console.print(f"[yellow]⚠[/] the demo resident could not be prepared: {escape(str(exc))}")
            self.banner()
            checks = self.start_check()
            if self.project is not None:
                await self.watch()
            else:
                await self.stop.wait()
            if checks is not None:
                checks.cancel()
        finally:
            await self.server.stop(spare=True)
            self.stop.set()
            with contextlib.suppress(Exception):
                await wechat
        console.print("sandbox stopped")

    async def watch(self) -> None:
        root = self.project.root
        before = snapshot(root)
        while not self.stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop.wait(), POLL_SECONDS)
            if self.stop.is_set():
                return
            now = snapshot(root)
            if now == before:
                continue
            while True:  # let an editor finish writing (save-all, formatters)
                await asyncio.sleep(SETTLE_SECONDS)
                settled = snapshot(root)
                if settled == now:
                    break
                now = settled
            changed, before = changed_files(before, now), now
            await self.reload(changed)

    async def reload(self, changed: list[str]) -> None:
        shown = ", ".join(changed[:3]) + (f" and {len(changed) - 3} more" if len(changed) > 3 else "")
        console.print(f"[cyan]↻[/] changed: {escape(shown)} — restarting the server (database and WeChat keep running)…")
        started = time.monotonic()
        if "pyproject.toml" in changed and self.options.install:
            self.project = PluginProject.load(self.project.root)
            try:
                await asyncio.to_thread(install_plugin, self.project, self.options.target, force=True)
            except SandboxError as exc:
                console.print(f"[red]✖[/] {escape(str(exc))}")
            await self.server.discard_spare()
        await self.server.stop()
        await self.server.start()
        if await self.server.ready():
            await self.server.warm_spare()
            console.print(f"[green]✔ reloaded[/] in {time.monotonic() - started:.1f}s: {self.options.base}/graphql")
        else:
            console.print("[red]✖ the server did not start[/]: fix the error above and save again")
        self.start_check()

    def start_check(self) -> asyncio.Task | None:
        if self.project is None:
            return None
        return asyncio.create_task(self._check(self.project.root))

    async def _check(self, root: Path) -> None:
        from community_plus.devtools.check import check_plugin

        report = await asyncio.to_thread(check_plugin, root)
        if not report.problems:
            console.print("[green]✔ plugin check: all good[/]")
            return
        console.print(f"[yellow]plugin check: {len(report.errors)} error(s), {len(report.warnings)} warning(s)[/]")
        for p in report.problems:
            console.print(f"  {'✖' if p.severity == 'error' else '⚠'} [{p.check}] {escape(p.where)} "
                          f"{escape(p.message)} — fix: {escape(p.fix)}")

    def banner(self) -> None:
        from community_plus_sandbox.wechat.runner import demo_templates_setting

        o = self.options
        rows = [("GraphiQL", f"{o.base}/graphql"),
                ("Examples & logins", f"{o.base}/sandbox"),
                ("Fake WeChat", f"{o.wechat_base}  (CP_WECHAT_API_BASE; sent messages: {o.wechat_base}/_fake/messages)"),
                ("Notifications", f"templates {demo_templates_setting()}; the demo resident has accepted each "
                                  f"{SANDBOX_GRANTS} times (ctx.notify to them reaches /_fake/messages within a "
                                  f"second; more grants: POST {o.wechat_base}/_fake/grant)"),
                ("Database", self.uri)]
        if self.project is not None:
            rows.append(("Plugin", f"{self.project.dist_name} from {self.project.root} (editable), enabled in the "
                                   "first community; the server restarts when its files change"))
        rows += [("Staff logins", f"password {PASSWORD}: admin (platform admin), nanjing (region admin), "
                                  "admin001 (community admin), gw0011 (grid worker)"),
                 ("Demo resident", f'WeChat user "{RESIDENT_USER}" ({RESIDENT_NAME}, {RESIDENT_PHONE}): '
                                   f'loginWithWechat(code: "user:{RESIDENT_USER}:<any new text>")')]
        console.print("[bold]Community+ sandbox[/]")
        for label, value in rows:
            console.print(f"  [bold]{label:<18}[/] {escape(value)}")
        console.print(f"[bold green]sandbox ready[/]: open {o.base}/sandbox — Ctrl-C stops everything")


def _port_free(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.3)
        return s.connect_ex((host, port)) != 0


def run_sandbox(options: SandboxOptions) -> None:
    """Run until Ctrl-C (or SIGTERM)."""
    from community_plus.platform.embedded import DatabaseError, acquire_database
    from community_plus.settings import ConfigurationError, load_settings

    project = None
    if options.plugin is not None:
        project = PluginProject.load(options.plugin)
        if project.error or not project.entry_points:
            raise SandboxError(f"{options.plugin} is not a plugin folder ({project.error or 'no entry point in the '}"
                               f"{'' if project.error else GROUP + ' group'}); create one with `community-plus plugin new`")
    for port, what in ((options.port, "--port"), (options.wechat_port, "--wechat-port")):
        if not _port_free(options.host, port):
            raise SandboxError(f"port {port} is in use (another sandbox or server?): stop it or choose {what}")
    if project is not None and options.install:
        install_plugin(project, options.target)
    try:
        settings = load_settings(CP_DATA_DIR=str(options.data_dir), CP_DB_PORT=options.db_port, CP_ENV="dev")
    except ConfigurationError as exc:
        raise SandboxError(str(exc)) from exc
    try:
        with acquire_database(settings) as uri:
            seed_if_empty(uri, settings, options.communities, options.residents_per_community)
            asyncio.run(Sandbox(options, project, uri, settings).run())
    except DatabaseError as exc:
        raise SandboxError(str(exc)) from exc
