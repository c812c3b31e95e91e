"""Background jobs of each worker process: outbox delivery and closing unrated orders.
Every job is safe to run in several workers at once (claims and compare-and-set)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import structlog
from aiohttp import web

from community_plus.domains.notifications.service import LogSender, deliver_due
from community_plus.platform.tasks import every, stop_tasks
from community_plus.domains.work_orders.service import close_stale_resolved
from community_plus.domains.linkage.service import alert_overdue

log = structlog.get_logger("community_plus.platform.jobs")


async def run_module_periodic(platform) -> None:
    """Each module's `run_periodic` hook with a system context; failures are isolated."""
    from datetime import UTC, datetime

    registry = platform.modules
    if registry is None:
        return
    for name in registry.modules:
        await registry.call(name, "run_periodic", ctx=registry.context(platform, name),
                            now=datetime.now(UTC))


def sender_for(platform):
    """The WeChat sender when a WeChat app is configured, else a logging sender."""
    factory = platform.notification_sender
    return factory() if factory else LogSender()


def background_jobs(platform_key) -> Callable[[web.Application], AsyncIterator[None]]:
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        platform = app[platform_key]
        settings = platform.settings
        tasks = []
        if settings.background_jobs:
            # one per worker; claims make several safe
            tasks.append(asyncio.create_task(every(1.0, "outbox", lambda: deliver_due(platform, sender_for(platform)),
                                                   deadline=None)))
            tasks.append(asyncio.create_task(every(600, "auto_close", lambda: close_stale_resolved(
                platform, settings.auto_close_days))))
            tasks.append(asyncio.create_task(every(60, "module_periodic", lambda: run_module_periodic(platform))))
            tasks.append(asyncio.create_task(every(60, "linkage_overdue", lambda: alert_overdue(platform))))
        yield
        await stop_tasks(tasks)

    return ctx
