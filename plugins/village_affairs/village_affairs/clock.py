"""The module's time source (scheduled publication, expiry and due dates compare with
`now()`, so tests move time without sleeping; with SDK 1.0 this becomes `ctx.now()`), and
the calendar of disclosure periods in China Standard Time."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

__all__ = ["CST", "UTC", "MONTHLY", "QUARTERLY", "YEARLY", "as_utc", "now", "periods", "valid_period"]

CST = timezone(timedelta(hours=8), "CST")
MONTHLY, QUARTERLY, YEARLY = "monthly", "quarterly", "yearly"


def now() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def periods(year: int, frequency: str) -> list[tuple[str, datetime]]:
    """(period label, the instant the period ends) of a year: `2026-03`, `2026-Q1`, `2026`."""
    def start(y: int, m: int) -> datetime:
        return datetime(y + (m - 1) // 12, (m - 1) % 12 + 1, 1, tzinfo=CST)

    if frequency == MONTHLY:
        return [(f"{year}-{m:02d}", start(year, m + 1)) for m in range(1, 13)]
    if frequency == QUARTERLY:
        return [(f"{year}-Q{q}", start(year, 3 * q + 1)) for q in range(1, 5)]
    return [(str(year), start(year + 1, 1))]


_PERIOD = re.compile(r"^(19\d\d|2\d\d\d)(-(0[1-9]|1[0-2])|-Q[1-4])?$")


def valid_period(value: str) -> bool:
    return bool(_PERIOD.match(value))
