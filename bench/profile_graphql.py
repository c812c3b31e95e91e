"""Where the GraphQL layer's server time goes: the home query (or `--query residents`) run
N times through the real app in-process under cProfile; prints the top functions by own time
and by cumulative time.

    .venv/bin/python bench/profile_graphql.py [--requests 300] [--query home|residents]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats

from common import ROOT  # noqa: F401  (puts tests/ on the path)

from community_plus.testing import start_test_database


async def run(uri: str, token: str, query: str, requests: int, profile: cProfile.Profile) -> None:
    from aiohttp.test_utils import TestClient, TestServer

    from community_plus.app import create_app
    from community_plus.settings import load_settings

    app = create_app(load_settings(MONGODB_URI=uri, CP_BACKGROUND_JOBS="false", CP_RATE_LIMITS="",
                                   CP_ACCESS_LOG="false"))
    http = TestClient(TestServer(app))
    await http.start_server()
    headers = {"Authorization": f"Bearer {token}"}
    try:
        for _ in range(30):  # warm caches
            resp = await http.post("/graphql", json={"query": query}, headers=headers)
            assert not (await resp.json()).get("errors"), await resp.text()
        profile.enable()
        for _ in range(requests // 10):
            await asyncio.gather(*[http.post("/graphql", json={"query": query}, headers=headers) for _ in range(10)])
        profile.disable()
    finally:
        await http.close()


_GROUPS = (("graphql/execution", "graphql-core execution"), ("graphql/", "graphql-core other"),
           ("strawberry/", "strawberry"), ("aiohttp/", "aiohttp (server and the bench's client)"),
           ("pymongo/", "pymongo"), ("bson", "bson"), ("asyncio/", "asyncio event loop"),
           ("structlog/", "structlog"), ("prometheus_client/", "prometheus-client"), ("json/", "json"),
           ("jwt/", "PyJWT"), ("/wt-", "community_plus"), ("socket", "sockets"))


def by_package(profile: cProfile.Profile) -> str:
    """Own time grouped by library: where the server's CPU goes."""
    stats = pstats.Stats(profile)
    totals: dict[str, float] = {}
    for (filename, _, name), (_, _, tottime, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        where = filename if filename != "~" else name
        group = next((label for key, label in _GROUPS if key in where), "other")
        totals[group] = totals.get(group, 0.0) + tottime
    whole = sum(totals.values())
    lines = [f"{label:42}{seconds:8.2f} s {seconds / whole:6.1%}" for label, seconds in
             sorted(totals.items(), key=lambda kv: -kv[1])]
    return "own time by library (cProfile):\n" + "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--query", choices=("home", "residents"), default="home")
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    from home_query import HOME, RESIDENTS, prepare

    db = start_test_database()
    try:
        uri = db.uri.replace("/?", "/bench?")
        tokens = asyncio.run(prepare(uri))
        token = tokens["resident"] if args.query == "home" else tokens["grid_worker"]
        query = HOME if args.query == "home" else RESIDENTS.replace("$grid", f'"{tokens["grid"]}"')
        profile = cProfile.Profile()
        asyncio.run(run(uri, token, query, args.requests, profile))
    finally:
        db.stop()
    print(by_package(profile))
    for key in ("tottime", "cumulative"):
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats(key).print_stats(args.top)
        print(out.getvalue())


if __name__ == "__main__":
    main()
