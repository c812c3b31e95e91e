"""Background tasks: the one periodic-loop runner (`every`), and stopping tasks at shutdown
without ever hanging it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from typing import Literal

import pymongo
import structlog

from community_plus.platform.db import is_unavailable

log = structlog.get_logger("community_plus.platform.tasks")
STOP_TIMEOUT = 5.0


async def every(seconds: float, name: str, job: Callable[[], Awaitable[object]], *,
                wait_first: bool = False, deadline: float | Literal["interval"] | None = "interval") -> None:
    """Run `job` every `seconds` until cancelled (first after `seconds` with `wait_first`),
    each run bounded by a database deadline (`deadline`, by default `seconds` and at least
    5 s; None for jobs that wait on more than the database, e.g. WeChat or storage). A failed run is
    logged and the next one comes as usual: a periodic job is never fatal. The server's
    periodic loops (outbox, auto-close, module periodic, linkage alerts, the orphan sweep,
    the module-state refresh) all run on it."""
    limit = max(seconds, 5.0) if deadline == "interval" else deadline
    if wait_first:
        await asyncio.sleep(seconds)
    while True:
        try:
            with pymongo.timeout(limit):
                await job()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if is_unavailable(exc):
                log.warning("background job: database unavailable; will retry", job=name)
            else:
                log.exception("background job failed; will retry", job=name)
        await asyncio.sleep(seconds)


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
