"""`community-plus serve`: the server, one process or a supervisor of several workers."""

from __future__ import annotations

import asyncio
import os
import sys

import click

from community_plus.cli.common import _settings, console
from community_plus.cli.seed import _attach_extensions, _print_demo_accounts, _seed_size, run_seed
from community_plus.platform.embedded import DatabaseError, acquire_database
from community_plus.platform.supervisor import Supervisor
from community_plus.settings import Settings


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
    from community_plus.keys import SCHEMAS
    from community_plus.platform import heap

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


@click.command()
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
    from community_plus.domains.platform import Platform
    from community_plus.domains.opening import open_domains

    async def go() -> None:
        client = dbm.connect(settings.mongodb_uri)
        platform = Platform(settings, client, dbm.database_of(client))
        try:
            if await platform.regions.count() == 0:
                console.print(f"empty database: seeding demo data, {size.communities} communities × "
                              f"{size.residents_per_community:,} residents (first start only)…")
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
    from community_plus.platform.metrics import (MULTIPROC_ENV, prepare_multiprocess_dir, remove_multiprocess_dir,
                                                 worker_gone)

    metrics_dir, created = prepare_multiprocess_dir(os.environ.get(MULTIPROC_ENV))  # /metrics sums the workers
    env[MULTIPROC_ENV] = str(metrics_dir)
    cmd = [sys.executable, "-m", "community_plus.cli", "_worker", "--host", host, "--port", str(port)]
    code = Supervisor(cmd, env, workers, say=lambda text: console.print(f"[yellow]{text}[/]"),
                      on_exit=lambda pid: worker_gone(metrics_dir, pid)).run()
    if created:
        remove_multiprocess_dir(metrics_dir)
    if code:
        raise click.ClickException("the workers kept exiting (see their log above)")


@click.command("_worker", hidden=True)
@click.option("--host", required=True)
@click.option("--port", required=True, type=int)
def worker(host: str, port: int) -> None:
    """One worker process of `serve --workers N` (internal)."""
    _run_worker(_settings(), host, port, reuse_port=True)
