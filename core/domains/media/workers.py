"""Image work off the event loop and off the path of other requests: two bounded lanes.

Decoding and re-encoding an image is CPU work that can take seconds. It never runs on the
event loop, nor on asyncio's default executor (the spool's disk writes use that one: a few
heavy images there would stall every other upload). Instead images go to one of two small
thread pools of their own:

- the **light** lane (`CP_IMAGE_WORKERS` threads) reads headers (`plan_image`) and processes
  images up to `LIGHT_PIXELS` decoded pixels — ordinary phone photos;
- the **heavy** lane (half as many threads, at least one) takes the rest: large stills and
  animations, which are already capped by the budget in `inspection`.

So a flood of expensive images can slow only other expensive images, never a small photo or
a PDF. Each lane admits as many jobs as it has threads (an `asyncio.Semaphore`); a job
waits at most `CP_IMAGE_QUEUE_SECONDS` for a slot, and at most `QUEUE_PER_WORKER` jobs per
thread may wait at all — past either limit the upload is refused with SERVICE_UNAVAILABLE
(HTTP 503, `retryAfter`), and nothing is kept.

Threads rather than processes: Pillow releases the GIL while it decodes and encodes, the
budget bounds every job before it starts and `sanitize_image` checks its deadline between
frames, so no job needs killing from outside. A slot is freed when the thread finishes, not
when the request gives up (a cancelled upload cannot let more work in than there are threads).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import structlog

from community_plus.platform.errors import AppError
from community_plus.domains.media.inspection import (DEADLINE_SECONDS, ImagePlan, SanitizedImage, plan_image,
    sanitize_image)

log = structlog.get_logger("community_plus.domains.media")

T = TypeVar("T")
LIGHT_PIXELS = 16_000_000  # a 12-megapixel photo, or a modest animation
QUEUE_PER_WORKER = 16


class ImageWorkersBusy(AppError):
    """Every image worker is busy and the queue is full or too slow: retry later (HTTP 503)."""

    code = "SERVICE_UNAVAILABLE"
    http_status = 503

    def __init__(self, retry_after: int = 5) -> None:
        super().__init__("图片处理繁忙，请稍后重试 (image processing is busy: retry in a few seconds; nothing was "
                         "saved)", retryAfter=retry_after, reason="IMAGE_WORKERS_BUSY")


@dataclass(slots=True)
class Lane:
    """One pool of threads and the slots that admit jobs to it."""

    name: str
    threads: int
    executor: ThreadPoolExecutor
    slots: asyncio.Semaphore
    waiting: int = 0
    running: int = 0
    done: int = 0  # jobs finished (successfully or not) since start
    max_waiting: int = 0


class ImageWorkers:
    """The two lanes; `plan` and `sanitize` are what the media service calls."""

    def __init__(self, threads: int = 2, queue_seconds: float = 30.0) -> None:
        self.queue_seconds = queue_seconds
        self.lanes = {name: self._lane(name, n) for name, n in (("light", threads), ("heavy", max(1, threads // 2)))}

    @staticmethod
    def _lane(name: str, threads: int) -> Lane:
        return Lane(name, threads, ThreadPoolExecutor(threads, thread_name_prefix=f"cp-image-{name}"),
                    asyncio.Semaphore(threads), max_waiting=threads * QUEUE_PER_WORKER)

    @staticmethod
    def lane_for(plan: ImagePlan) -> str:
        return "light" if plan.pixels <= LIGHT_PIXELS else "heavy"

    async def plan(self, src: Path, content_type: str) -> ImagePlan:
        """The image's cost from its headers; ImageRejected when it is over budget."""
        return await self.run("light", plan_image, src, content_type)

    async def sanitize(self, src: Path, dst: Path, content_type: str, plan: ImagePlan) -> SanitizedImage:
        """Re-encode without metadata in the lane the plan calls for; `dst` is removed on failure."""

        def job() -> SanitizedImage:
            try:
                # the deadline starts when a thread takes the job, not while it queues
                return sanitize_image(src, dst, content_type, plan, time.monotonic() + DEADLINE_SECONDS)
            except BaseException:
                dst.unlink(missing_ok=True)
                raise

        return await self.run(self.lane_for(plan), job, abandoned=lambda: dst.unlink(missing_ok=True))

    async def run(self, lane_name: str, fn: Callable[..., T], *args: Any,
                  abandoned: Callable[[], None] | None = None) -> T:
        """Run `fn(*args)` on a lane's thread once a slot is free (ImageWorkersBusy if none comes).

        `abandoned` runs after the thread finishes when the caller stopped waiting (cancelled).
        """
        lane = self.lanes[lane_name]
        if lane.waiting >= lane.max_waiting:
            raise ImageWorkersBusy()
        lane.waiting += 1
        try:
            async with asyncio.timeout(self.queue_seconds):
                await lane.slots.acquire()
        except TimeoutError:
            log.warning("image queue timeout", lane=lane.name, waiting=lane.waiting, seconds=self.queue_seconds)
            raise ImageWorkersBusy() from None
        finally:
            lane.waiting -= 1
        lane.running += 1
        try:
            future = asyncio.get_running_loop().run_in_executor(lane.executor, fn, *args)
        except BaseException:
            lane.running -= 1
            lane.slots.release()
            raise

        def finished(f: asyncio.Future[T]) -> None:
            lane.running -= 1
            lane.done += 1
            lane.slots.release()

        future.add_done_callback(finished)
        try:
            return await asyncio.shield(future)  # a cancelled request leaves the slot taken until the thread ends
        except asyncio.CancelledError:
            future.add_done_callback(lambda f: (f.cancelled() or f.exception(), abandoned and abandoned()))
            raise

    def stats(self) -> dict[str, dict[str, int]]:
        """Per lane: threads, jobs running, jobs waiting for a slot, jobs done."""
        return {n: {"threads": ln.threads, "running": ln.running, "waiting": ln.waiting, "done": ln.done}
                for n, ln in self.lanes.items()}

    def close(self) -> None:
        for lane in self.lanes.values():
            lane.executor.shutdown(wait=False, cancel_futures=True)
