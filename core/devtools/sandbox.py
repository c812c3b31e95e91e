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

Its parts: `sandbox_options` (options, console, SandboxError), `plugin_install`,
`sandbox_demo` (seed, fake WeChat, demo resident, the server's environment),
`server_process`, `plugin_watch`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import signal
import socket
import time
from pathlib import Path

import aiohttp
from rich.markup import escape

from community_plus_sandbox.wechat.runner import demo_templates_setting, serve_fake_wechat

from community_plus.devtools.check import check_plugin
from community_plus.devtools.plugin_install import install_plugin
from community_plus.devtools.plugin_watch import POLL_SECONDS, SETTLE_SECONDS, changed_files, snapshot
from community_plus.devtools.project import GROUP, PluginProject
from community_plus.devtools.sandbox_demo import (APPID, PASSWORD, RESIDENT_NAME, RESIDENT_PHONE, RESIDENT_USER,
                                                  SANDBOX_GRANTS, ensure_demo_resident, sandbox_environment,
                                                  sandbox_fake_wechat, seed_if_empty)
from community_plus.devtools.sandbox_options import SandboxError, SandboxOptions, console
from community_plus.devtools.server_process import ServerProcess
from community_plus.platform.embedded import DatabaseError, acquire_database
from community_plus.settings import ConfigurationError, load_settings


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
        report = await asyncio.to_thread(check_plugin, root)
        if not report.problems:
            console.print("[green]✔ plugin check: all good[/]")
            return
        console.print(f"[yellow]plugin check: {len(report.errors)} error(s), {len(report.warnings)} warning(s)[/]")
        for p in report.problems:
            console.print(f"  {'✖' if p.severity == 'error' else '⚠'} [{p.check}] {escape(p.where)} "
                          f"{escape(p.message)} — fix: {escape(p.fix)}")

    def banner(self) -> None:
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
