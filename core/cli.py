"""The `community-plus` command line."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from .embedded import DatabaseError, acquire_database
from .settings import ConfigurationError, Settings, load_settings

console = Console(stderr=True)


def _settings() -> Settings:
    try:
        return load_settings()
    except ConfigurationError as exc:
        raise click.ClickException(str(exc)) from exc


def with_platform(settings: Settings, fn: Callable[[Any], Awaitable[Any]]) -> Any:
    """Run `fn(platform)` against the configured or embedded database."""
    from . import db as dbm
    from .context import Platform

    async def run(uri: str) -> Any:
        client = dbm.connect(uri)
        platform = Platform(settings.model_copy(update={"mongodb_uri": uri}), client, dbm.database_of(client))
        try:
            await dbm.ensure_indexes(platform.db, {r.collection: r.indexes for r in platform.repositories()})
            return await fn(platform)
        finally:
            await client.close()

    try:
        with acquire_database(settings) as uri:
            return asyncio.run(run(uri))
    except DatabaseError as exc:
        raise click.ClickException(str(exc)) from exc


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="community-plus")
def main() -> None:
    """Community+ (社区+): GraphQL backend for community mini-programs."""


# -- seed ----------------------------------------------------------------------------------
async def run_seed(platform, communities: int, residents: int, quiet: bool = False) -> dict[str, int]:
    from .seed import seed

    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, disable=quiet, transient=False) as bar:
        tasks: dict[str, Any] = {}

        def progress(task: str, advance: int, total: int) -> None:
            if task not in tasks:
                tasks[task] = bar.add_task(f"seeding {task}", total=total or None)
            elif total:
                bar.update(tasks[task], total=total)
            bar.advance(tasks[task], advance)

        extra = platform.extras.get("seed_extra")
        return await seed(platform, communities, residents, progress=progress, extra=extra)


@main.command("seed")
@click.option("--communities", default=12, show_default=True, help="Communities in the demo province.")
@click.option("--residents-per-community", default=2000, show_default=True)
def seed_cmd(communities: int, residents_per_community: int) -> None:
    """Create realistic demo data (idempotent; safe to re-run)."""
    settings = _settings()

    async def go(platform):
        _attach_extensions(platform)
        return await run_seed(platform, communities, residents_per_community)

    result = with_platform(settings, go)
    console.print(f"[green]✔[/] seeded {result['communities']} communities, "
                  f"{result['residents_created']} new residents")
    _print_demo_accounts()


def _attach_extensions(platform) -> None:
    """Let later subsystems (work orders, plugins) add seed steps; see `extensions.py`."""
    from .extensions import attach_cli_extensions

    attach_cli_extensions(platform)


def _print_demo_accounts() -> None:
    from .seed import DEMO_PASSWORD

    table = Table(title="Demo accounts (dev only)")
    for col in ("username", "role", "password"):
        table.add_column(col)
    table.add_row("admin", "platform_admin", DEMO_PASSWORD)
    table.add_row("nanjing", "region_admin (南京市)", DEMO_PASSWORD)
    table.add_row("admin001", "community_admin (first community)", DEMO_PASSWORD)
    table.add_row("gw0011", "grid_worker (first grid)", DEMO_PASSWORD)
    console.print(table)


# -- serve ---------------------------------------------------------------------------------
def _run_worker(settings: Settings, host: str, port: int, reuse_port: bool) -> None:
    from aiohttp import web

    from .app import create_app
    from .logs import configure_logging

    configure_logging(settings.log_format)
    app = create_app(settings)
    app.on_shutdown.append(_shutdown_watchdog)
    try:
        web.run_app(app, host=host, port=port, reuse_port=reuse_port or None,
                    shutdown_timeout=10, print=None, access_log=None,
                    handler_cancellation=True)  # a client that leaves cancels its work
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror}. "
                                   f"Is another server running? Choose another port with --port.") from exc


SHUTDOWN_DEADLINE = 45.0


async def _shutdown_watchdog(app) -> None:
    """In-flight requests get 10 s to finish; if shutting down hangs past the deadline, exit
    anyway (the embedded database gets SIGTERM from the kernel when we die: no orphan)."""
    import threading

    def give_up() -> None:
        console.print(f"[red]shutdown took over {SHUTDOWN_DEADLINE:.0f}s: exiting now[/]")
        os._exit(1)

    timer = threading.Timer(SHUTDOWN_DEADLINE, give_up)
    timer.daemon = True
    timer.start()


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Worker processes sharing the port (SO_REUSEPORT).")
@click.option("--seed-if-empty", is_flag=True, help="Seed demo data first when the database is empty.")
def serve(host: str, port: int, workers: int, seed_if_empty: bool) -> None:
    """Serve the API; starts the embedded database unless MONGODB_URI is set."""
    settings = _settings()
    try:
        with acquire_database(settings, supervise=True) as uri:
            s = settings.model_copy(update={"mongodb_uri": uri})
            if seed_if_empty:
                _seed_if_empty(s)
            console.print(f"[bold green]Community+[/] on http://{host}:{port}/graphql "
                          f"({'GraphiQL, ' if s.dev else ''}{workers} worker{'s' if workers > 1 else ''}; "
                          f"database {'embedded' if not settings.mongodb_uri else 'MONGODB_URI'})")
            if s.dev:
                _print_demo_accounts()
            if workers == 1:
                _run_worker(s, host, port, reuse_port=False)
            else:
                _run_workers(s, host, port, workers)
    except DatabaseError as exc:
        raise click.ClickException(str(exc)) from exc
    console.print("stopped cleanly")


def _seed_if_empty(settings: Settings) -> None:
    from . import db as dbm
    from .context import Platform

    async def go() -> None:
        client = dbm.connect(settings.mongodb_uri)
        platform = Platform(settings, client, dbm.database_of(client))
        try:
            if await platform.regions.count() == 0:
                console.print("empty database: seeding demo data (first start only)…")
                await dbm.ensure_indexes(platform.db, {r.collection: r.indexes for r in platform.repositories()})
                _attach_extensions(platform)
                await run_seed(platform, 12, 2000)
        finally:
            await client.close()

    asyncio.run(go())


def _run_workers(settings: Settings, host: str, port: int, workers: int) -> None:
    env = {**os.environ, "MONGODB_URI": settings.mongodb_uri or "", "CP_ENV": settings.env}
    cmd = [sys.executable, "-m", "community_plus.cli", "_worker", "--host", host, "--port", str(port)]
    procs = [subprocess.Popen(cmd, env=env) for _ in range(workers)]

    def forward(signum, frame):  # noqa: ARG001
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    for p in procs:
        p.wait()


@main.command("_worker", hidden=True)
@click.option("--host", required=True)
@click.option("--port", required=True, type=int)
def worker(host: str, port: int) -> None:
    """One worker process of `serve --workers N` (internal)."""
    _run_worker(_settings(), host, port, reuse_port=True)


# -- schema --------------------------------------------------------------------------------
@main.group()
def schema() -> None:
    """The published GraphQL SDL."""


@schema.command("export")
@click.option("--out", "out_dir", default="schema", show_default=True, type=click.Path(file_okay=False, path_type=Path))
def schema_export(out_dir: Path) -> None:
    """Write schema/core.graphql (and one file per built-in module)."""
    from .sdl import export_sdl

    for path in export_sdl(out_dir):
        console.print(f"[green]✔[/] wrote {path}")


# -- admin ---------------------------------------------------------------------------------
@main.group()
def admin() -> None:
    """Staff accounts."""


@admin.command("create-user")
@click.option("--username", required=True)
@click.option("--role", required=True, type=click.Choice(["platform_admin", "region_admin", "community_admin", "grid_worker"]))
@click.option("--name", "display_name", default=None, help="Display name (defaults to the username).")
@click.option("--region", "region_id", default=None, help="Region id (region_admin).")
@click.option("--community", "community_id", default=None, help="Community id (community_admin, grid_worker).")
@click.option("--grid", "grid_ids", multiple=True, help="Grid id (grid_worker; repeat for several).")
@click.option("--phone", default=None, help="Work phone shown to residents (grid_worker).")
@click.password_option(help="Prompted for when omitted.")
def create_user(username, role, display_name, region_id, community_id, grid_ids, phone, password) -> None:
    """Create a staff account."""
    from .services.staff import create_staff_user

    settings = _settings()

    async def go(platform):
        return await create_staff_user(platform, username=username, password=password, role=role,
                                       display_name=display_name or username, region_id=region_id,
                                       community_id=community_id, grid_ids=list(grid_ids), phone=phone)

    try:
        user = with_platform(settings, go)
    except Exception as exc:  # AppError with field messages
        fields = getattr(exc, "fields", None)
        if fields:
            raise click.ClickException("; ".join(f"{k}: {v}" for k, v in fields.items())) from exc
        raise
    console.print(f"[green]✔[/] created {role} [bold]{user['username']}[/] (id {user['_id']})")


# -- plugins -------------------------------------------------------------------------------
@main.group()
def plugins() -> None:
    """Installed modules (plugins)."""


@plugins.command("list")
def plugins_list() -> None:
    """Installed modules: name, version, state and hooks (no database needed)."""
    from .plugins.registry import PluginRegistry

    registry = PluginRegistry(allow=_settings().allowed_plugins)
    registry.load_entry_points()
    table = Table(title="Community+ modules")
    for col in ("module", "title", "version", "distribution", "state", "hooks"):
        table.add_column(col)
    for name, m in sorted(registry.modules.items()):
        table.add_row(name, m.manifest.title, m.manifest.version, f"{m.distribution or '-'} {m.dist_version or ''}",
                      "[green]loaded[/]", ", ".join(m.hooks))
    for f in registry.failed:
        table.add_row(f.entry_point, "", "", f.distribution or "-", f"[red]skipped[/]: {f.reason}", "")
    Console().print(table)
    if not registry.modules and not registry.failed:
        console.print("no plugins installed: `pip install` a module that registers the "
                      "'community_plus.plugins' entry point")


# -- persisted queries -------------------------------------------------------------------
@main.group()
def queries() -> None:
    """Registered (persisted) GraphQL operations for strict mode."""


@queries.command("register")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def queries_register(files: tuple[Path, ...]) -> None:
    """Register the operations in .graphql FILES (one operation per file); prints their hashes."""
    from .graphql.persisted import PersistedQueries, PersistedQueryRepository

    async def go(platform):
        store = PersistedQueries(PersistedQueryRepository(platform.db), strict=True)
        return [(f, await store.store(f.read_text(encoding="utf-8"), registered=True)) for f in files]

    for path, digest in with_platform(_settings(), go):
        console.print(f"[green]✔[/] {digest}  {path}")


# -- personal data ---------------------------------------------------------------------------
@main.group()
def pii() -> None:
    """Personal-data encryption keys."""


@pii.command("rotate-key")
@click.option("--batch", default=200, show_default=True, help="Rows per batch.")
def pii_rotate_key(batch: int) -> None:
    """Re-encrypt ID and phone numbers under the first key of CP_PII_KEY (resumable)."""
    from .services.pii_rotation import remaining, rotate_pii

    async def go(platform):
        total = await remaining(platform)
        with Progress(TextColumn("[bold]re-encrypting"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=console) as bar:
            task = bar.add_task("rows", total=total)
            done = await rotate_pii(platform, batch, progress=lambda n: bar.advance(task, n))
        return total, done, await remaining(platform), platform.keyring.current_id

    total, done, left, kid = with_platform(_settings(), go)
    console.print(f"[green]✔[/] {done} of {total} rows now sealed with key {kid!r}; {left} left"
                  + ("" if not left else " (run the command again to finish)"))


from .wechat.cli import wechat  # noqa: E402

main.add_command(wechat)

from .devtools.cli import plugin, sandbox  # noqa: E402  (plugin authors' tools: docs/plugin-guide.md)

main.add_command(plugin)
main.add_command(sandbox)


if __name__ == "__main__":
    main()
