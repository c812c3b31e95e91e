"""The orphan sweep: files nobody attached within `CP_ORPHAN_TTL_HOURS` are removed.

What it removes, in one pass (`run_once(platform)`):
- files still `pending` or `stored` (never attached, or released) whose orphan clock started
  before the cut-off — objects first, then the record, after claiming the record
  (`deleting`) so that a concurrent attach cannot lose a file; deletions interrupted by a
  crash or a storage outage are finished on the next pass;
- staging objects of confirmed presigned uploads once their upload URL has expired (a
  client could otherwise keep writing to the old URL);
- temp files older than a day in the media temp folder (left by a killed process).

Several workers may sweep at once: every step is a compare-and-set or idempotent.
The server runs it every `CP_ORPHAN_SWEEP_MINUTES` (`media/setup.py`); operators run it by hand
with `community-plus media sweep` (`cli/media.py`).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import structlog

from community_plus.domains.media.repository import FileRepository
from community_plus.domains.media.service import purge
from community_plus.domains.media.spool import Spool
from community_plus.domains.media.storage import Storage, StorageError
from community_plus.platform.tasks import every

if TYPE_CHECKING:
    from community_plus.domains.platform import Platform

log = structlog.get_logger("community_plus.domains.media.orphans")

BATCH = 200
TEMP_MAX_AGE = 86400  # seconds


@dataclass(slots=True)
class SweepReport:
    files_removed: int = 0
    files_failed: int = 0
    staging_removed: int = 0
    temp_removed: int = 0


async def run_once(platform: Platform, now: datetime | None = None) -> SweepReport:
    """One full sweep; `now` may be given to reason about time (tests, dry reasoning)."""
    now = now or datetime.now(UTC)
    files: FileRepository = platform.files
    storage: Storage = platform.storage
    report = SweepReport()
    cutoff = now - timedelta(hours=platform.settings.orphan_ttl_hours)
    seen: set[str] = set()
    while batch := [d for d in await files.orphans(cutoff, BATCH) if d["_id"] not in seen]:
        for doc in batch:
            seen.add(doc["_id"])
            if await purge(files, storage, doc):
                report.files_removed += 1
            else:
                report.files_failed += 1
    for doc in await files.expired_staging(now, BATCH * 5):
        try:
            await storage.delete(doc["stagingKey"])
        except StorageError as exc:
            log.warning("could not delete a staging object", file=doc["_id"], error=str(exc))
            continue
        await files.clear_staging(doc["_id"])
        report.staging_removed += 1
    spool: Spool | None = platform.media_spool
    if spool is not None:
        report.temp_removed = await asyncio.to_thread(_remove_old_temp_files, spool, now.timestamp())
    if report.files_removed or report.files_failed or report.staging_removed or report.temp_removed:
        log.info("orphan sweep", **asdict(report))
    return report


def _remove_old_temp_files(spool: Spool, now: float) -> int:
    removed = 0
    for path in spool.directory.glob("*"):
        try:
            if path.is_file() and now - path.stat().st_mtime > TEMP_MAX_AGE:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            pass
    return removed


async def sweep_forever(platform: Platform) -> None:
    """The background task: sweep every `CP_ORPHAN_SWEEP_MINUTES`; errors are logged, never fatal."""
    async def sweep() -> None:
        started = time.perf_counter()
        await run_once(platform)
        log.debug("orphan sweep done", seconds=round(time.perf_counter() - started, 3))

    await every(platform.settings.orphan_sweep_minutes * 60, "orphan_sweep", sweep, wait_first=True,
                deadline=None)
