"""One-off upgrades of stored data, run at start-up until they have run once.

A new field that queries rely on (e.g. work orders' `parties`) is written by every new write
and backfilled once for the rows stored before; `core_upgrades` remembers which backfills are
done so that later start-ups skip them without scanning. Upgrades are idempotent: two workers
starting together may both run one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import structlog

from community_plus.platform.repository import Repository

log = structlog.get_logger("community_plus.platform.upgrades")


class UpgradeRepository(Repository):
    """The upgrades that have run: `{_id: name, doneAt, rows}`."""

    collection = "core_upgrades"

    async def done(self, name: str) -> bool:
        return await self.coll.find_one({"_id": name}, {"_id": 1}) is not None

    async def mark(self, name: str, rows: int) -> None:
        await self.coll.update_one({"_id": name}, {"$set": {"doneAt": datetime.now(UTC), "rows": rows}}, upsert=True)


async def run_once(upgrades: UpgradeRepository, name: str, upgrade: Callable[[], Awaitable[int]]) -> None:
    """Run `upgrade` (it returns how many rows it changed) unless it has run before."""
    if await upgrades.done(name):
        return
    log.info("data upgrade running (once: later start-ups skip it)", upgrade=name)
    rows = await upgrade()
    await upgrades.mark(name, rows)
    if rows:
        log.info("data upgraded", upgrade=name, rows=rows)
