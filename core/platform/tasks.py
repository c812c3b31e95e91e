"""Stopping background tasks at shutdown without ever hanging it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable

import structlog

log = structlog.get_logger("community_plus.platform.tasks")
STOP_TIMEOUT = 5.0


async def stop_tasks(tasks: Iterable[asyncio.Task], timeout: float = STOP_TIMEOUT) -> None:
    """Cancel tasks and wait for them a bounded time (a driver call that swallows the
    cancellation while the database is down must not block shutdown)."""
    tasks = [t for t in tasks if t is not None]
    for task in tasks:
        task.cancel()
    if tasks:
        _, pending = await asyncio.wait(tasks, timeout=timeout)
        for task in pending:
            log.warning("background task did not stop in time; leaving it", task=task.get_name())


async def bounded(awaitable: Awaitable[object], what: str, timeout: float = STOP_TIMEOUT) -> None:
    """Await a shutdown step for at most `timeout` seconds."""
    try:
        await asyncio.wait_for(awaitable, timeout)
    except (TimeoutError, asyncio.TimeoutError):
        log.warning("shutdown step timed out", step=what)
    except Exception:
        log.exception("shutdown step failed", step=what)
