"""Wire the realtime part into an app: the event log, the feed task, the hub, the sockets.

Started after the database and the plugin platform (it reads module states); on shutdown
every socket is closed with 1001 first (clients reconnect to another worker and resume),
then the feed and the revalidation loop stop within a bounded time.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import structlog
from aiohttp import web

from community_plus.platform.db import ensure_indexes
from community_plus.platform.errors import NotFound
from community_plus.platform.tasks import bounded, stop_tasks
from community_plus.realtime.connections import Connections
from community_plus.realtime.feed import ChangeStreamFeed, Feed, open_feed
from community_plus.realtime.hub import Hub
from community_plus.platform.event_log import EventLog
from community_plus.realtime.metrics import RealtimeMetrics
from community_plus.realtime.presence import Presence
from community_plus.realtime.view import RealtimeView
from community_plus.keys import METRICS, PLATFORM, REALTIME, SCHEMAS

if TYPE_CHECKING:
    from community_plus.graphql.schema import SchemaCache

log = structlog.get_logger("community_plus.realtime")


class Realtime:
    """Everything realtime of one app (one worker): `platform.realtime`."""

    def __init__(self, platform: Any, feed: Feed, metrics: RealtimeMetrics, schemas: SchemaCache):
        s = platform.settings
        self.platform = platform
        self.settings = s
        self.feed = feed
        self.metrics = metrics
        self.worker = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.presence = Presence(platform.db, self.worker, lease_seconds=3 * s.ws_revalidate_interval)
        self.connections = Connections(platform, self.presence, metrics, s.ws_max_sockets_per_user)
        self.hub = Hub(feed, metrics, queue_size=s.ws_queue_size, max_replay=s.realtime_max_replay,
                       on_event=self.connections.on_event)
        self._schemas = schemas
        self.view: RealtimeView | None = None

    def schema_for(self, modules: frozenset[str]):
        return self._schemas.get(modules).schema  # the HTTP view's schema: one per module set

    async def module_set(self, community_id: str | None) -> frozenset[str]:
        registry = self.platform.modules
        if registry is None or community_id is None:
            return frozenset()
        try:
            return await registry.enabled_for(community_id)
        except NotFound:  # a principal whose community is gone: the core schema only
            return frozenset()




def setup_realtime(app: web.Application) -> None:
    """The feed and the hub start after the database and the plugin platform (module states)."""

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        platform = app[PLATFORM]
        s = platform.settings
        events = EventLog(platform.db, s.realtime_retention_hours)
        await ensure_indexes(platform.db, {events.collection: events.indexes, Presence.collection: Presence.indexes})
        platform.event_log = events
        feed = await open_feed(s.realtime_feed, events, poll_interval=s.realtime_poll_interval,
                               lookback=s.realtime_poll_lookback)
        realtime = Realtime(platform, feed, RealtimeMetrics(app[METRICS].registry),
                            app[SCHEMAS])
        realtime.view = RealtimeView(realtime.schema_for(frozenset()), realtime=realtime, platform=platform,
                                     metrics=app[METRICS], dev=s.dev)
        if isinstance(feed, ChangeStreamFeed):  # after a gap, sockets reconnect and replay with `after`
            feed.on_gap = lambda: realtime.connections.spawn(realtime.connections.close_all(
                "event feed restarted (reconnect and resume with after)"))
        platform.realtime = realtime
        app[REALTIME] = realtime
        tasks = [asyncio.create_task(feed.run(realtime.hub.deliver), name="realtime-feed"),
                 asyncio.create_task(realtime.connections.run(s.ws_revalidate_interval), name="ws-revalidate")]
        log.info("realtime ready", feed=feed.mode, worker=realtime.worker)
        yield
        await bounded(realtime.connections.close_all(), "close subscription sockets")
        feed.stop()
        _, pending = await asyncio.wait(tasks[:1], timeout=2.0)
        await stop_tasks([*pending, *tasks[1:]])
        await bounded(realtime.presence.release_worker(), "release socket presence")

    app.cleanup_ctx.append(ctx)

    async def on_shutdown(app: web.Application) -> None:
        realtime = app.get(REALTIME)
        if realtime is not None:  # before handlers are waited for: a socket never ends by itself
            await bounded(realtime.connections.close_all(), "close subscription sockets")

    app.on_shutdown.append(on_shutdown)


async def websocket_handler(request: web.Request) -> web.StreamResponse:
    """`GET /graphql` with `Upgrade: websocket` (called by the `/graphql` route)."""
    return await request.app[REALTIME].view(request)  # type: ignore[operator]


def is_websocket(request: web.Request) -> bool:
    return request.headers.get("Upgrade", "").lower() == "websocket"
