"""Every request gets a deadline and a place in a bounded queue.

- **Admission.** At most `CP_MAX_CONCURRENT` requests run at once per worker; up to
  `CP_MAX_QUEUE` more wait, each for at most `CP_QUEUE_WAIT` seconds. Anything beyond that
  is shed at once with 503 `SERVICE_UNAVAILABLE` and `Retry-After`: a queue that only grows
  helps nobody (the clients time out anyway, and the work done for them is wasted).
- **Deadline.** The request body runs under `pymongo.timeout(CP_REQUEST_TIMEOUT)`: PyMongo's
  client-side operation timeout, which puts `maxTimeMS` on every command the request sends
  (from the budget that is left) and bounds server selection and pool checkout too, so a
  paused or overloaded database can hold a request for at most the budget.
- **Disconnects.** `serve` runs aiohttp with `handler_cancellation=True`: when a client goes
  away, its handler is cancelled and the work stops with it.

The operational endpoints (`/healthz`, `/readyz`, `/metrics`) bypass admission so that they
still answer when the worker is saturated; so do WebSocket upgrades (a subscription socket
lives for hours and is bounded by the realtime limits instead).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import pymongo
from aiohttp import web

from community_plus.platform.db import is_unavailable

OPERATIONAL = frozenset({"/healthz", "/readyz", "/metrics"})


class Overloaded(Exception):
    """The worker's queue is full (or the wait for a slot ran out)."""


@dataclass
class AdmissionLimits:
    concurrency: int = 64
    queue: int = 256
    queue_wait: float = 5.0
    request_timeout: float = 10.0


class Admission:
    """A semaphore with a bounded, time-limited waiting room."""

    def __init__(self, limits: AdmissionLimits) -> None:
        self.limits = limits
        self.running = 0
        self.waiting = 0
        self._slots: asyncio.Semaphore | None = None

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        if self._slots is None:  # created on first use, inside the running loop
            self._slots = asyncio.Semaphore(self.limits.concurrency)
        if self._slots.locked() and self.waiting >= self.limits.queue:
            raise Overloaded
        self.waiting += 1
        try:
            async with asyncio.timeout(self.limits.queue_wait):
                await self._slots.acquire()
        except TimeoutError:
            raise Overloaded from None
        finally:
            self.waiting -= 1
        self.running += 1
        try:
            yield
        finally:
            self.running -= 1
            self._slots.release()


def deadline_middleware(admission: Admission, database_down: Callable[[web.Request], bool],
                        refuse: Callable[[web.Request, str], web.StreamResponse]):
    """Admission control, then the request under the database deadline. While the driver
    knows the database is down (`database_down`), requests answer 503 at once; `refuse(request,
    reason)` builds the 503 (`DATABASE_UNAVAILABLE` or `OVERLOADED`)."""

    @web.middleware
    async def deadline(request: web.Request, handler):
        if request.path in OPERATIONAL or request.headers.get("Upgrade", "").lower() == "websocket":
            return await handler(request)  # sockets live long: they have limits of their own (realtime)
        if database_down(request):
            return refuse(request, "DATABASE_UNAVAILABLE")
        try:
            async with admission.slot():
                with pymongo.timeout(admission.limits.request_timeout):
                    return await handler(request)
        except Overloaded:
            return refuse(request, "OVERLOADED")
        except Exception as exc:  # e.g. an upload or console route hitting a database outage
            if is_unavailable(exc):
                return refuse(request, "DATABASE_UNAVAILABLE")
            raise

    return deadline
