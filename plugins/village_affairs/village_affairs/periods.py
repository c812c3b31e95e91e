"""The calendar of disclosure periods (China time): a year's months, quarters or the year
itself, each with the instant it ends. Time itself comes from `ctx.now()` (the SDK's one
clock, which tests move)."""

from __future__ import annotations

import re
from datetime import datetime

from community_plus_sdk.clock import CHINA

MONTHLY, QUARTERLY, YEARLY = "monthly", "quarterly", "yearly"


def periods(year: int, frequency: str) -> list[tuple[str, datetime]]:
    """(period label, the instant the period ends) of a year: `2026-03`, `2026-Q1`, `2026`."""
    def start(y: int, m: int) -> datetime:
        return datetime(y + (m - 1) // 12, (m - 1) % 12 + 1, 1, tzinfo=CHINA)

    if frequency == MONTHLY:
        return [(f"{year}-{m:02d}", start(year, m + 1)) for m in range(1, 13)]
    if frequency == QUARTERLY:
        return [(f"{year}-Q{q}", start(year, 3 * q + 1)) for q in range(1, 5)]
    return [(str(year), start(year + 1, 1))]


_PERIOD = re.compile(r"^(19\d\d|2\d\d\d)(-(0[1-9]|1[0-2])|-Q[1-4])?$")


def valid_period(value: str) -> bool:
    return bool(_PERIOD.match(value))
