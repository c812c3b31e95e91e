"""Server time from one clock, China-time helpers and row ids.

Everything time-dependent in a module (cut-offs, "today", months) reads `ctx.now()` (or
`clock.now()` where no context is at hand): the one `clock` of the process. Tests move it
instead of sleeping or patching a module's own clock::

    from community_plus_sdk.clock import clock

    clock.set(datetime(2030, 3, 14, 2, 0, tzinfo=UTC))  # frozen at that instant
    clock.advance(hours=25)                             # and moved on
    clock.reset()                                       # real time again

Community+ serves mainland China: dates a resident sees are Asia/Shanghai dates (UTC+8, no
daylight saving). Stored times are aware UTC datetimes; a naive datetime from a client is
read as China time (`as_utc`).
"""

from __future__ import annotations

import itertools
import os
import secrets
import threading
import time as _time
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")


class Clock:
    """The current instant (aware UTC): real time, or a time set and moved by tests."""

    def __init__(self) -> None:
        self._fixed: datetime | None = None

    def now(self) -> datetime:
        return self._fixed if self._fixed is not None else datetime.now(UTC)

    @property
    def current(self) -> datetime:
        return self.now()

    def set(self, value: datetime) -> None:
        """Freeze the clock at `value` (a naive value is China time)."""
        self._fixed = as_utc(value) or datetime.now(UTC)

    def advance(self, **delta: float) -> None:
        """Move the clock on by `timedelta(**delta)` (freezing it at now if it ran)."""
        self._fixed = self.now() + timedelta(**delta)

    def reset(self) -> None:
        """Back to real time."""
        self._fixed = None


clock = Clock()


def as_utc(value: datetime | None) -> datetime | None:
    """An aware UTC datetime (None stays None); a naive one is read as China time."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=CHINA)
    return value.astimezone(UTC)


def china_date(value: datetime | None = None) -> date:
    """The China date of an instant (default: now, on the clock)."""
    return (as_utc(value) or clock.now()).astimezone(CHINA).date()


def day_start(day: date) -> datetime:
    """The UTC instant a China day begins (00:00 Asia/Shanghai)."""
    return datetime.combine(day, time(0), tzinfo=CHINA).astimezone(UTC)


def day_range(day: date) -> tuple[datetime, datetime]:
    """The UTC instants a China day begins and ends."""
    return day_start(day), day_start(day + timedelta(days=1))


def month_of(value: datetime | date) -> str:
    """`YYYY-MM` of an instant's China date (or of a date)."""
    d = value if isinstance(value, date) and not isinstance(value, datetime) else china_date(value)
    return f"{d.year:04d}-{d.month:02d}"


def month_start(month: str) -> datetime:
    """The UTC instant a `YYYY-MM` month begins in China."""
    year, mon = (int(p) for p in month.split("-"))
    return day_start(date(year, mon, 1))


def age_on(birth: datetime | date | None, on: date) -> int | None:
    """Full years of age on a date (None when the birth date is unknown)."""
    if birth is None:
        return None
    b = birth.date() if isinstance(birth, datetime) else birth
    return on.year - b.year - ((on.month, on.day) < (b.month, b.day))


def china_time_text(value: datetime) -> str:
    """`YYYY-MM-DD HH:MM` in China time, as a notification shows an instant."""
    return (as_utc(value) or clock.now()).astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


_PROCESS = secrets.token_bytes(5).hex()
_COUNTER = itertools.count(secrets.randbelow(0xFFFFFF))
_LOCK = threading.Lock()


def new_id() -> str:
    """A fresh row id shaped like an ObjectId (24 hex: real seconds, process, counter): ids
    sort by creation, so keyset pages (`relay.paginate`) list newest first. Ids use real
    time, not the (movable) clock, so that moving the clock in a test never reorders rows."""
    with _LOCK:
        count = next(_COUNTER) & 0xFFFFFF
    return f"{int(_time.time()) & 0xFFFFFFFF:08x}{_PROCESS}{count:06x}"


os.register_at_fork(after_in_child=lambda: globals().update(_PROCESS=secrets.token_bytes(5).hex()))
