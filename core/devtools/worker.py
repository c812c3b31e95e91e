"""The sandbox's server process: the normal app (`create_app`) plus the `/sandbox` page.

On start it enables the plugin's modules in the first community (unless someone decided
otherwise there), calls their `module_enabled` hook, and runs `seed_demo_data` once per
database. The supervisor (`sandbox.py`) replaces this process whenever the plugin changes, by a warm
spare started with `--wait`: it has imported the server already (the slow part) but no
plugin yet, and starts when it reads a line on stdin.

Usage (internal): ``python -m community_plus.devtools.worker --host H --port P [--site DIR]``
with `MONGODB_URI` set; `CP_SANDBOX_DIST` names the plugin's distribution.
"""

from __future__ import annotations

import argparse
import os
import site
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from community_plus.keys import SANDBOX

DEMO_MARKER = "sandbox_demo_data:{module}"


@dataclass
class SandboxState:
    dist: str | None
    resident_user: str
    community: dict[str, Any] | None = None
    modules: list[dict[str, Any]] = field(default_factory=list)
    operations: list[tuple[str, str]] | None = None  # built on the first page view




def _mine(registry: Any, dist: str | None) -> tuple[list[Any], list[Any]]:
    from community_plus.devtools.project import normalize_dist

    if not dist:
        return [], []
    own = normalize_dist(dist)
    loaded = [m for m in registry.modules.values() if m.distribution and normalize_dist(m.distribution) == own]
    failed = [f for f in registry.failed if f.distribution and normalize_dist(f.distribution) == own]
    return loaded, failed


async def prepare_plugin(app: web.Application) -> None:
    """Enable the plugin's modules in the first community and add their demo rows (once)."""
    import structlog

    from community_plus.keys import PLATFORM
    from community_plus.keys import REGISTRY

    log = structlog.get_logger("community_plus.sandbox")
    state: SandboxState = app[SANDBOX]
    platform, registry = app[PLATFORM], app[REGISTRY]
    state.community = await platform.regions.coll.find_one({"level": "community"}, sort=[("_id", 1)])
    loaded, failed = _mine(registry, state.dist)
    for f in failed:
        log.error("your plugin was skipped", plugin=f.entry_point, reason=f.reason)
        state.modules.append({"name": f.entry_point, "title": "", "state": "not loaded", "reason": f.reason})
    if state.community is None:
        return
    cid = state.community["_id"]
    for m in loaded:
        row = await registry.states.repo.coll.find_one({"regionId": cid, "module": m.name})
        ctx = registry.context(platform, m.name, community_id=cid)
        if row is None or row.get("enabled") is None:
            await registry.states.set_enabled(state.community, m.name, True, actor=None)
            await registry.call(m.name, "module_enabled", ctx=ctx, community_id=cid)
        enabled = m.name in await registry.states.enabled_for(cid)
        marker = DEMO_MARKER.format(module=m.name)
        if enabled and "seed_demo_data" in m.hooks and not await platform.db["meta"].find_one({"_id": marker}):
            await registry.call(m.name, "seed_demo_data", ctx=ctx, community_id=cid)
            await platform.db["meta"].insert_one({"_id": marker, "at": datetime.now(UTC)})
            log.info("demo rows added", module=m.name, community=cid)
        state.modules.append({"name": m.name, "title": m.manifest.title, "hooks": m.hooks,
                              "state": f"enabled in {state.community['name']}" if enabled
                              else f"disabled in {state.community['name']} (someone switched it off)"})


def _operations(app: web.Application) -> list[tuple[str, str]]:
    from community_plus.graphql.schema import build_schema
    from community_plus.keys import REGISTRY

    from community_plus.devtools.page import example_operation

    registry = app[REGISTRY]
    names = frozenset(m["name"] for m in app[SANDBOX].modules if m["name"] in registry.modules)
    if not names:
        return []
    schema = build_schema(registry.contributions(names))._schema
    ops = []
    for kind, root in (("query", schema.query_type), ("mutation", schema.mutation_type)):
        for fname in root.fields if root else []:
            owner = registry.field_owner.get(fname)
            if owner in names:
                ops.append((f"{owner}: {fname}", example_operation(schema, kind, fname)))
    return ops


async def sandbox_page(request: web.Request) -> web.Response:
    from community_plus.keys import SETTINGS

    from community_plus.devtools.page import PageModel, render

    app = request.app
    state: SandboxState = app[SANDBOX]
    if state.operations is None:
        state.operations = _operations(app)
    page = PageModel(community_id=state.community["_id"] if state.community else None,
                     community_name=state.community["name"] if state.community else None,
                     wechat_base=app[SETTINGS].wechat_api_base, resident_user=state.resident_user,
                     modules=state.modules, operations=state.operations)
    return web.Response(text=render(page), content_type="text/html")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="community_plus.devtools.worker")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--site", action="append", default=[], help="a folder the plugin was installed into")
    parser.add_argument("--wait", action="store_true", help="import the server, then start on a line from stdin")
    args = parser.parse_args(argv)
    for folder in args.site:  # processes the editable install's .pth finder, unlike PYTHONPATH
        site.addsitedir(folder)

    from community_plus.app import create_app  # the slow imports; plugins are imported by create_app
    from community_plus.platform.logs import configure_logging
    from community_plus.settings import load_settings

    if args.wait and not sys.stdin.readline():
        return  # a warm spare that was never needed
    settings = load_settings()
    configure_logging(settings.log_format)
    app = create_app(settings)
    app[SANDBOX] = SandboxState(dist=os.environ.get("CP_SANDBOX_DIST") or None,
                              resident_user=os.environ.get("CP_SANDBOX_RESIDENT", "resident"))
    app.on_startup.append(prepare_plugin)
    app.router.add_get("/sandbox", sandbox_page)
    web.run_app(app, host=args.host, port=args.port, print=None, access_log=None, shutdown_timeout=2)


if __name__ == "__main__":
    main(sys.argv[1:])
