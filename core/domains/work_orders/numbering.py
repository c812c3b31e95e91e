"""Readable work-order numbers: `GD<yyyymmdd>-<nnnn>`, counted per community and local day
(China Standard Time), e.g. `GD20261201-0042`.

A counter document per community and day (`work_order_counters`, in `numbering_repository.py`)
is incremented atomically (`$inc`) *before* the order's transaction, never inside it: inside,
every concurrent submission of a community would conflict on that one document and be retried
in turn (200 concurrent submissions took over 10 s and hit the request deadline). Numbers are
unique (a unique index on (communityId, number) guards it) and increasing; a submission that
fails after taking its number leaves a gap, as paper ledgers do. Orders from before numbering
have none (`number: null`).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from community_plus.domains.parts import platform_part
from community_plus.domains.work_orders.numbering_repository import NumberedOrders, WorkOrderCounters

if TYPE_CHECKING:
    from community_plus.domains.platform import Platform

CST = timezone(timedelta(hours=8), "Asia/Shanghai")
NUMBER = re.compile(r"^GD\d{8}-\d{4,}$")


def format_number(day: str, seq: int) -> str:
    return f"GD{day}-{seq:04d}"


class Numbering:
    KEY = "work_order_numbering"

    def __init__(self, platform: Platform) -> None:
        self.counters = WorkOrderCounters(platform.db)
        self.orders = NumberedOrders(platform.db)

    @classmethod
    async def of(cls, platform: Platform) -> Numbering:
        return await platform_part(platform, cls.KEY, cls, lambda n: [n.orders])

    async def prepare(self, community_id: str, now: datetime) -> str:
        """The counter key for an order created `now` (call before the transaction)."""
        key = f"{community_id}:{now.astimezone(CST):%Y%m%d}"
        await self.counters.ensure(key)
        return key

    async def assign(self, key: str, session=None) -> str:
        """The next number of that community and day (before the order's transaction)."""
        return format_number(key.rsplit(":", 1)[1], await self.counters.take(key, session=session))


async def number_all(platform: Platform, orders: list[dict[str, Any]]) -> None:
    """Give `orders` (new documents, sorted by `createdAt`) their numbers, by local day."""
    numbering = await Numbering.of(platform)
    by_key: dict[str, list[dict[str, Any]]] = {}
    for order in orders:
        by_key.setdefault(f"{order['communityId']}:{order['createdAt'].astimezone(CST):%Y%m%d}", []).append(order)
    for key, group in by_key.items():
        first = await numbering.counters.reserve(key, len(group))
        for seq, order in enumerate(group, start=first):
            order["number"] = format_number(key.rsplit(":", 1)[1], seq)


def number_filter(value: str) -> dict[str, Any]:
    """A filter for a (case-insensitive, trimmed) number search."""
    return {"number": value.strip().upper()}
