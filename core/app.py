"""`create_app(settings)`: the one place the server is wired together."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import structlog
from aiohttp import web

from community_plus.platform import db as dbm
from community_plus.http.admin_console import setup_admin_console
from community_plus.http.cors import setup_cors
from community_plus.domains.residents.export import setup_resident_export
from community_plus.domains.platform import Platform
from community_plus.domains.opening import open_domains
from community_plus.http.deadline import Admission, AdmissionLimits, deadline_middleware
from community_plus.platform.errors import AppError, Forbidden
from community_plus.graphql.extensions.limits import QueryLimits
from community_plus.http.rate_limits import RequestLimiter, parse_limits
from community_plus.platform.rate_limit_counters import RateLimitRepository
from community_plus.graphql.extensions.persisted import PersistedQueries, PersistedQueryRepository
from community_plus.graphql.extensions.idempotency import IdempotentMutations
from community_plus.graphql.schema import SchemaCache
from community_plus.graphql.view import (GRAPHIQL_ASSETS, CommunityGraphQLView, scope_error_response,
    unavailable_response)
from community_plus.http.middleware import SCOPE, make_middlewares
from community_plus.domains.media.setup import setup_media
from community_plus.domains.resident_import.setup import setup_resident_import
from community_plus.domains.visits.setup import setup_visits
from community_plus.domains.staff_invitations.setup import setup_staff_invitations
from community_plus.modules.setup import setup_plugins
from community_plus.realtime.setup import is_websocket, setup_realtime, websocket_handler
from community_plus.platform.metrics import Metrics
from community_plus.domains.work_orders.service import register_file_visibility
from community_plus.settings import Settings
from community_plus.platform.tasks import bounded, every, stop_tasks
from community_plus.domains.notifications.service import deliver_due, sender_for
from community_plus.domains.linkage.service import alert_overdue
from community_plus.domains.work_orders.service import close_stale_resolved
from community_plus.modules.lifecycle import run_module_periodic
from community_plus.domains.identity.setup import setup_wechat
from community_plus.keys import ADMISSION, METRICS, OUTAGE, PLATFORM, SCHEMAS, SETTINGS

log = structlog.get_logger("community_plus.app")



async def _database(app: web.Application) -> AsyncIterator[None]:
    """Open the MongoDB client, create indexes idempotently, close on shutdown."""
    settings = app[SETTINGS]
    if not settings.mongodb_uri:
        raise RuntimeError("MONGODB_URI is not set: start through `community-plus serve`, which starts "
                           "the embedded database, or point MONGODB_URI at a MongoDB server")
    client = dbm.connect(settings.mongodb_uri)
    platform = Platform(settings, client, dbm.database_of(client))
    await open_domains(platform)
    register_file_visibility(platform)
    repo = PersistedQueryRepository(platform.db)
    await dbm.ensure_indexes(platform.db, {repo.collection: repo.indexes})
    platform.persisted_queries = persisted = PersistedQueries(repo, strict=settings.persisted_only)
    app[METRICS].known_operations |= await persisted.load_registered_names()
    persisted.registered_names = app[METRICS].known_operations  # one set: registrations label at once
    limits = parse_limits(settings.rate_limits)
    if limits:
        platform.request_limiter = RequestLimiter(RateLimitRepository(platform.db), limits)
    app[PLATFORM] = platform
    log.info("database ready", database=platform.db.name)
    yield
    await bounded(client.close(), "close the database client")


def _contributions_for(app: web.Application):
    def contributions(modules: frozenset[str]):
        provider = app[PLATFORM].modules
        return provider.contributions(modules) if provider else []

    return contributions


async def _module_set(request: web.Request, community_id: str | None) -> frozenset[str]:
    provider = request.app[PLATFORM].modules
    if provider is None or community_id is None:
        return frozenset()
    return await provider.enabled_for(community_id)


def _database_down(request: web.Request) -> bool:
    platform = request.app.get(PLATFORM)
    return platform is not None and request.app[OUTAGE].ongoing(platform.client)


async def graphql_handler(request: web.Request) -> web.StreamResponse:
    if is_websocket(request):  # subscriptions: authenticated by connection_init (core/realtime)
        return await websocket_handler(request)
    app = request.app
    platform = app[PLATFORM]
    scope = request[SCOPE]
    header = request.headers.get("X-Community-Id")
    if header and scope.principal is not None:
        try:
            community = await platform.regions.get(header)
        except Exception as exc:
            if dbm.is_unavailable(exc):
                return unavailable_response(request)
            raise
        if community is None or community.get("level") != "community" or not scope.covers_community(community):
            return scope_error_response(request, Forbidden("X-Community-Id 不在您的管辖范围 (community outside your scope)"))
        scope.community_id = header
    elif scope.principal is not None:
        scope.community_id = None if scope.principal.role in ("platform_admin", "region_admin", "hotline_operator",
                                                                     "department_staff") \
            else scope.principal.community_id
    try:
        modules = await _module_set(request, scope.community_id)
    except AppError as exc:
        return scope_error_response(request, exc)
    except Exception as exc:
        if dbm.is_unavailable(exc):
            return unavailable_response(request)
        raise
    return await app[SCHEMAS].get(modules)(request)  # type: ignore[operator]


def _view_of(app: web.Application):
    def view(schema, modules: frozenset[str]) -> CommunityGraphQLView:
        """The view of a set of enabled modules (its schema is shared by HTTP and WebSocket)."""
        platform = app[PLATFORM]
        return CommunityGraphQLView(
            schema, platform=platform, metrics=app[METRICS], dev=app[SETTINGS].dev, module_set=modules,
            persisted=platform.persisted_queries,
            idempotency=IdempotentMutations(platform.idempotency, lease_seconds=2 * app[SETTINGS].request_timeout))

    return view


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    checks: dict[str, Any] = {"database": await dbm.ping(request.app[PLATFORM].client)}
    for name, probe in request.app[PLATFORM].readiness.items():
        checks[name] = await probe()
    ok = all(checks.values())
    return web.json_response({"status": "ok" if ok else "unavailable", "checks": checks}, status=200 if ok else 503)


async def metrics(request: web.Request) -> web.Response:
    body, content_type = request.app[METRICS].render()
    return web.Response(body=body, headers={"Content-Type": content_type})


def create_app(settings: Settings) -> web.Application:
    """Build the aiohttp application; resources open in cleanup contexts on start-up."""
    admission = Admission(AdmissionLimits(settings.max_concurrent, settings.max_queue, settings.queue_wait,
                                          settings.request_timeout))
    middlewares = make_middlewares()
    middlewares.insert(1, deadline_middleware(admission, _database_down, unavailable_response))  # before any I/O
    app = web.Application(middlewares=middlewares, client_max_size=2 * 1024 * 1024)
    app[SETTINGS] = settings
    setup_cors(app)
    app[ADMISSION] = admission
    app[OUTAGE] = dbm.Outage()
    app[METRICS] = Metrics(n.strip() for n in settings.metrics_operations.split(",") if n.strip())
    limits = QueryLimits(settings.max_depth, settings.max_aliases, settings.max_tokens, settings.max_cost)
    app[SCHEMAS] = SchemaCache(_contributions_for(app), introspection=settings.introspection_enabled, limits=limits,
                               wrap=_view_of(app))
    app.cleanup_ctx.append(_database)
    setup_media(app)
    setup_wechat(app)
    setup_plugins(app)
    setup_realtime(app)
    setup_resident_import(app)
    setup_visits(app)
    setup_staff_invitations(app)
    app.cleanup_ctx.append(_background_jobs)
    app.router.add_route("GET", "/graphql", graphql_handler)
    app.router.add_route("POST", "/graphql", graphql_handler)
    if settings.dev:  # GraphiQL's scripts, vendored (no CDN needed)
        app.router.add_static(GRAPHIQL_ASSETS, Path(__file__).parent / "static" / "graphiql")
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    setup_admin_console(app)
    setup_resident_export(app)
    return app


async def _background_jobs(app: web.Application) -> AsyncIterator[None]:
    """The background jobs of each worker process, on the periodic-loop runner: outbox
    delivery, closing unrated orders, modules' `run_periodic`, linkage overdue alerts. Every
    job is safe to run in several workers at once (claims and compare-and-set)."""
    platform = app[PLATFORM]
    settings = platform.settings
    tasks = []
    if settings.background_jobs:
        tasks.append(asyncio.create_task(every(1.0, "outbox", lambda: deliver_due(platform, sender_for(platform)),
                                               deadline=None)))  # waits on WeChat too
        tasks.append(asyncio.create_task(every(600, "auto_close", lambda: close_stale_resolved(
            platform, settings.auto_close_days))))
        tasks.append(asyncio.create_task(every(60, "module_periodic", lambda: run_module_periodic(platform))))
        tasks.append(asyncio.create_task(every(60, "linkage_overdue", lambda: alert_overdue(platform))))
    yield
    await stop_tasks(tasks)
