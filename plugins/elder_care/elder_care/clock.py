"""Time in China Standard Time (UTC+8, no daylight saving): months, days and ages."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, timezone

from community_plus_sdk import UserInputError

CST = timezone(timedelta(hours=8), "CST")
_MONTH = re.compile(r"^(19\d\d|2\d\d\d)-(0[1-9]|1[0-2])$")  # 1900–2999: dates beyond cannot be computed with


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """An aware UTC datetime; a naive one is read as China Standard Time."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=CST)
    return value.astimezone(UTC)


def month_of(value: datetime) -> str:
    return as_utc(value).astimezone(CST).strftime("%Y-%m")


def parse_month(value: str | None, field: str = "month") -> str:
    """A `YYYY-MM` month (default: this month)."""
    if value is None:
        return month_of(utcnow())
    if not _MONTH.match(value):
        raise UserInputError({field: "月份格式应为 YYYY-MM，年份在1900到2999之间 (a month like 2025-06)"})
    return value


def month_start(month: str) -> datetime:
    year, mon = (int(p) for p in month.split("-"))
    return datetime(year, mon, 1, tzinfo=CST).astimezone(UTC)


def day_range(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), tzinfo=CST).astimezone(UTC)
    return start, start + timedelta(days=1)


def today() -> date:
    return utcnow().astimezone(CST).date()


def age_on(birth: datetime | date | None, when: datetime) -> int | None:
    """Full years of age on the (China) date of `when`."""
    if birth is None:
        return None
    b = birth.date() if isinstance(birth, datetime) else birth
    d = as_utc(when).astimezone(CST).date()
    return d.year - b.year - ((d.month, d.day) < (b.month, b.day))
