"""The `community-plus` command line."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from community_plus.platform.embedded import DatabaseError, acquire_database
from community_plus.settings import ConfigurationError, Settings, load_settings

console = Console(stderr=True)


def _settings() -> Settings:
    try:
        return load_settings()
    except ConfigurationError as exc:
        raise click.ClickException(str(exc)) from exc


def with_platform(settings: Settings, fn: Callable[[Any], Awaitable[Any]]) -> Any:
    """Run `fn(platform)` against the configured or embedded database."""
    from community_plus.platform import db as dbm
    from community_plus.platform.context import Platform
    from community_plus.domains import open_domains

    async def run(uri: str) -> Any:
        client = dbm.connect(uri)
        platform = Platform(settings.model_copy(update={"mongodb_uri": uri}), client, dbm.database_of(client))
        try:
            await dbm.ensure_indexes(platform.db, {r.collection: r.indexes for r in platform.repositories()})
            await open_domains(platform)
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
async def run_seed(platform, size, quiet: bool = False) -> dict[str, int]:
    """Seed `size` (a `seed.SeedSize`) with a progress bar (plain lines when not a terminal)."""
    from community_plus.platform.progress import TaskProgress
    from community_plus.demo.seed import seed

    with TaskProgress(console, "seeding", quiet=quiet) as progress:
        return await seed(platform, size.communities, size.residents_per_community, size.grids_per_community,
                          size.work_orders_per_community, progress=progress, extra=platform.extras.get("seed_extra"))


def _seed_size(province: bool, communities: int | None, residents: int | None):
    from community_plus.demo.seed import DEMO, PROVINCE

    base = PROVINCE if province else DEMO
    return dataclasses.replace(base, communities=communities or base.communities,
                               residents_per_community=base.residents_per_community if residents is None
                               else residents)


@main.command("seed")
@click.option("--province", is_flag=True,
              help="The big demo province: 12 communities × 2,000 residents (about half a minute).")
@click.option("--communities", type=click.IntRange(1, 60), default=None,
              help="Communities to make [default: 3, or 12 with --province].")
@click.option("--residents-per-community", type=click.IntRange(0, 20000), default=None,
              help="[default: 100, or 2,000 with --province]")
def seed_cmd(province: bool, communities: int | None, residents_per_community: int | None) -> None:
    """Create realistic demo data: a small demo (3 communities × 100 residents, grids, staff,
    work orders, modules) or with --province a big one. Idempotent; a bigger run completes a
    smaller one."""
    settings = _settings()
    size = _seed_size(province, communities, residents_per_community)

    async def go(platform):
        _attach_extensions(platform)
        return await run_seed(platform, size)

    result = with_platform(settings, go)
    console.print(f"[green]✔[/] seeded {result['communities']} communities, "
                  f"{result['residents_created']} new residents")
    _print_demo_accounts()


def _attach_extensions(platform) -> None:
    """Let later subsystems (work orders, plugins) add seed steps; see `cli/module_platform.py`."""
    from community_plus.cli.module_platform import attach_cli_extensions

    attach_cli_extensions(platform)


def _print_demo_accounts() -> None:
    from community_plus.demo.seed import DEMO_PASSWORD

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

    from community_plus.app import create_app
    from community_plus.platform.logs import configure_logging

    configure_logging(settings.log_format)
    app = create_app(settings)
    app.on_shutdown.append(_shutdown_watchdog)
    _keep_heap_frozen(app)
    try:
        web.run_app(app, host=host, port=port, reuse_port=reuse_port or None,
                    shutdown_timeout=10, print=None, access_log=None,
                    handler_cancellation=True)  # a client that leaves cancels its work
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror}. "
                                   f"Is another server running? Choose another port with --port.") from exc


def _keep_heap_frozen(app) -> None:
    """The worker's start-up heap and each schema built later out of the collector's walk (`heap`)."""
    from community_plus.platform import heap
    from community_plus.app import SCHEMAS

    app.on_startup.append(heap.freeze_after_startup)
    app[SCHEMAS].after_build = heap.freeze


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
@click.option("--seed-if-empty", is_flag=True,
              help="Seed demo data first when the database is empty: 3 communities × 100 residents "
                   "(a few seconds), or the big province with --province.")
@click.option("--province", is_flag=True, help="With --seed-if-empty: 12 communities × 2,000 residents (about half a minute).")
def serve(host: str, port: int, workers: int, seed_if_empty: bool, province: bool) -> None:
    """Serve the API; starts the embedded database unless MONGODB_URI is set.

    In dev (CP_ENV=dev) without CP_WECHAT_APPID/CP_WECHAT_SECRET/CP_WECHAT_API_BASE it also runs
    the fake WeChat server (docs/wechat.md) on 127.0.0.1:9081 and points the API at it, so
    loginWithWechat works out of the box; the banner says how to get a login code."""
    from community_plus.integrations.wechat.dev_fake import dev_wechat

    settings = _settings()
    try:
        with acquire_database(settings, supervise=True) as uri, \
                dev_wechat(settings.model_copy(update={"mongodb_uri": uri})) as (s, wechat_base):
            if seed_if_empty:
                _seed_if_empty(s, _seed_size(province, None, None))
            console.print(f"[bold green]Community+[/] on http://{host}:{port}/graphql "
                          f"({'GraphiQL, ' if s.dev else ''}{workers} worker{'s' if workers > 1 else ''}; "
                          f"database {'embedded' if not settings.mongodb_uri else 'MONGODB_URI'})")
            if s.dev:
                _print_demo_accounts()
            if wechat_base:
                _print_fake_wechat(wechat_base)
            if workers == 1:
                _run_worker(s, host, port, reuse_port=False)
            else:
                _run_workers(s, host, port, workers)
    except DatabaseError as exc:
        raise click.ClickException(str(exc)) from exc
    except RuntimeError as exc:  # the fake WeChat server could not start
        raise click.ClickException(str(exc)) from exc
    console.print("stopped cleanly")


def _print_fake_wechat(base: str) -> None:
    console.print(f"[bold]WeChat[/] (dev): a fake WeChat server runs on {base} (docs/wechat.md). "
                  "A login code for test user alice:\n"
                  f"  curl -X POST '{base}/_fake/code?user=alice'\n"
                  '  then: mutation { loginWithWechat(code: "<code>") { accessToken viewer { role } } }\n'
                  "  (or use the code user:alice:<any new text>; set CP_WECHAT_APPID/CP_WECHAT_SECRET to use "
                  "real WeChat)", markup=True, highlight=False, soft_wrap=True)


def _seed_if_empty(settings: Settings, size) -> None:
    from community_plus.platform import db as dbm
    from community_plus.platform.context import Platform
    from community_plus.domains import open_domains

    async def go() -> None:
        client = dbm.connect(settings.mongodb_uri)
        platform = Platform(settings, client, dbm.database_of(client))
        try:
            if await platform.regions.count() == 0:
                console.print(f"empty database: seeding demo data, {size.communities} communities × "
                              f"{size.residents_per_community:,} residents (first start only)…")
                await dbm.ensure_indexes(platform.db, {r.collection: r.indexes for r in platform.repositories()})
                await open_domains(platform)
                _attach_extensions(platform)
                await run_seed(platform, size)
        finally:
            await client.close()

    asyncio.run(go())


def _run_workers(settings: Settings, host: str, port: int, workers: int) -> None:
    env = {**os.environ, "MONGODB_URI": settings.mongodb_uri or "", "CP_ENV": settings.env}
    if settings.wechat_secret:  # e.g. pointed at the dev fake WeChat: every worker uses the same one
        env.update(CP_WECHAT_API_BASE=settings.wechat_api_base, CP_WECHAT_APPID=settings.wechat_appid,
                   CP_WECHAT_SECRET=settings.wechat_secret, CP_WECHAT_TEMPLATES=settings.wechat_templates or "")
    from community_plus.platform.metrics import MULTIPROC_ENV, prepare_multiprocess_dir, worker_gone

    metrics_dir, created = prepare_multiprocess_dir(os.environ.get(MULTIPROC_ENV))  # /metrics sums the workers
    env[MULTIPROC_ENV] = str(metrics_dir)
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
        worker_gone(metrics_dir, p.pid)
    if created:
        worker_gone(metrics_dir, procs[-1].pid, created=True)


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
    from community_plus.graphql.sdl_export import export_sdl

    for path in export_sdl(out_dir):
        console.print(f"[green]✔[/] wrote {path}")


# -- admin ---------------------------------------------------------------------------------
@main.group()
def admin() -> None:
    """Staff accounts."""


@admin.command("create-user")
@click.option("--username", required=True)
@click.option("--role", required=True, type=click.Choice(["platform_admin", "region_admin", "community_admin", "grid_worker",
                                                                   "hotline_operator", "department_staff"]))
@click.option("--name", "display_name", default=None, help="Display name (defaults to the username).")
@click.option("--region", "region_id", default=None, help="Region id (region_admin, hotline_operator).")
@click.option("--department", "department_id", default=None, help="Department id (department_staff).")
@click.option("--community", "community_id", default=None, help="Community id (community_admin, grid_worker).")
@click.option("--grid", "grid_ids", multiple=True, help="Grid id (grid_worker; repeat for several).")
@click.option("--phone", default=None, help="Work phone shown to residents (grid_worker).")
@click.password_option(help="Prompted for when omitted.")
def create_user(username, role, display_name, region_id, department_id, community_id, grid_ids, phone,
                password) -> None:
    """Create a staff account."""
    from community_plus.domains.staff.accounts import create_staff_user

    settings = _settings()

    async def go(platform):
        return await create_staff_user(platform, username=username, password=password, role=role,
                                       display_name=display_name or username, region_id=region_id,
                                       community_id=community_id, grid_ids=list(grid_ids), phone=phone,
                                       department_id=department_id)

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
    from community_plus.modules.registry import PluginRegistry

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
                      "'community_plus_sdk.plugins.v1' entry point")


# -- persisted queries -------------------------------------------------------------------
@main.group()
def queries() -> None:
    """Registered (persisted) GraphQL operations for strict mode."""


@queries.command("register")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def queries_register(files: tuple[Path, ...]) -> None:
    """Register the operations in .graphql FILES (one operation per file); prints their hashes."""
    from community_plus.graphql.extensions.persisted import PersistedQueries, PersistedQueryRepository

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
    from community_plus.platform.progress import TaskProgress
    from community_plus.domains.residents.pii_rotation import remaining, rotate_pii

    async def go(platform):
        total = await remaining(platform)
        with TaskProgress(console, "re-encrypting") as progress:
            progress("rows", 0, total)
            done = await rotate_pii(platform, batch, progress=lambda n: progress("rows", n, 0))
        return total, done, await remaining(platform), platform.keyring.current_id

    total, done, left, kid = with_platform(_settings(), go)
    console.print(f"[green]✔[/] {done} of {total} rows now sealed with key {kid!r}; {left} left"
                  + ("" if not left else " (run the command again to finish)"))


from community_plus.cli.wechat import wechat  # noqa: E402

main.add_command(wechat)

from community_plus.cli.residents import residents  # noqa: E402

main.add_command(residents)

from community_plus.cli.plugin import plugin, sandbox  # noqa: E402  (plugin authors' tools: docs/plugin-guide.md)

main.add_command(plugin)
main.add_command(sandbox)


if __name__ == "__main__":
    main()
