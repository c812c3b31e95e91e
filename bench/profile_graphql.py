"""Where the GraphQL server's CPU goes: the home query (or `--query residents`) sent N times to
the real server (`community-plus serve`'s app and worker set-up, access log and metrics on) in
its own process, profiled there with cProfile on a CPU-time clock (time spent waiting on the
database or the network is not counted, and the load generator is not in the profile).
Prints own CPU time by library, then the top functions by own and by cumulative time.

    .venv/bin/python bench/profile_graphql.py [--requests 400] [--query home|residents]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import pstats
import subprocess
import sys
import tempfile
import urllib.request

from common import ROOT, load, wait_http

from community_plus.platform.testing import free_port, start_test_database


def serve_profiled(port: int, out: str) -> None:
    """The worker of `community-plus serve` under cProfile, switched on by GET /profile-on
    (after the warm-up), written to `out` when the server stops."""
    import cProfile
    import time

    from aiohttp import web

    from community_plus.app import create_app
    from community_plus.cli.serve import _keep_heap_frozen
    from community_plus.platform.logs import configure_logging
    from community_plus.settings import load_settings

    profile = cProfile.Profile(time.process_time)
    settings = load_settings()
    configure_logging(settings.log_format)
    app = create_app(settings)
    _keep_heap_frozen(app)

    async def switch_on(request: web.Request) -> web.Response:
        profile.enable()
        return web.Response(text="on")

    async def dump(app: web.Application) -> None:
        profile.disable()
        profile.dump_stats(out)

    app.router.add_get("/profile-on", switch_on)
    app.on_shutdown.append(dump)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None, handler_cancellation=True)


_GROUPS = ((f"{ROOT}/core/", "community_plus (resolvers, services, middleware)"),
           (f"{ROOT}/sdk/", "community_plus_sdk (connections)"), ("graphql/execution", "graphql-core execution"),
           ("graphql/", "graphql-core other"),
           ("strawberry/", "strawberry"), ("aiohttp/", "aiohttp"), ("pymongo/", "pymongo"), ("bson", "bson"),
           ("asyncio/", "asyncio event loop"), ("structlog/", "structlog (access log)"),
           ("prometheus_client/", "prometheus-client"), ("orjson", "orjson"), ("json/", "json"),
           ("jwt/", "PyJWT"), ("socket", "sockets"))


def by_package(stats: pstats.Stats) -> str:
    """Own CPU time grouped by library; builtins (isinstance, dict.get…) are "other"."""
    totals: dict[str, float] = {}
    for (filename, _, name), (_, _, tottime, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        where = filename if filename != "~" else name
        group = next((label for key, label in _GROUPS if key in where), "other (builtins, stdlib)")
        totals[group] = totals.get(group, 0.0) + tottime
    whole = sum(totals.values())
    lines = [f"{label:42}{seconds:8.2f} s {seconds / whole:6.1%}" for label, seconds in
             sorted(totals.items(), key=lambda kv: -kv[1])]
    return "own CPU time by library (cProfile, server process):\n" + "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--query", choices=("home", "residents"), default="home")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--serve", nargs=2, metavar=("PORT", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        return serve_profiled(int(args.serve[0]), args.serve[1])
    from home_query import HOME, RESIDENTS, prepare

    db = start_test_database()
    out = os.path.join(tempfile.mkdtemp(), "graphql.prof")
    try:
        uri = db.uri.replace("/?", "/bench?")
        tokens = asyncio.run(prepare(uri))
        token = tokens["resident"] if args.query == "home" else tokens["grid_worker"]
        query = HOME if args.query == "home" else RESIDENTS.replace("$grid", f'"{tokens["grid"]}"')
        port = free_port()
        env = {**os.environ, "MONGODB_URI": uri, "CP_LOG_FORMAT": "json", "CP_BACKGROUND_JOBS": "false",
               "CP_RATE_LIMITS": "", "PYTHONPATH": str(ROOT / "bench")}
        server = subprocess.Popen([sys.executable, __file__, "--serve", str(port), out], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_http(f"http://127.0.0.1:{port}/healthz")
        url = f"http://127.0.0.1:{port}/graphql"
        headers = {"Authorization": f"Bearer {token}"}
        asyncio.run(load(url, {"query": query}, headers, 100))  # warm caches
        urllib.request.urlopen(f"http://127.0.0.1:{port}/profile-on").read()
        result = asyncio.run(load(url, {"query": query}, headers, args.requests))
        server.terminate()
        server.wait(30)
    finally:
        db.stop()
    assert result.errors == 0, f"{result.errors} requests failed"
    stats = pstats.Stats(out)
    print(f"{args.requests} {args.query} queries, 10 concurrent")
    print(by_package(stats))
    for key in ("tottime", "cumulative"):
        text = io.StringIO()
        pstats.Stats(out, stream=text).sort_stats(key).print_stats(args.top)
        print(text.getvalue())


if __name__ == "__main__":
    main()
