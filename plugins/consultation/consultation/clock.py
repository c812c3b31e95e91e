"""The module's time source: deadlines compare with `now()`, so tests move time without
sleeping. (With SDK 1.0 this becomes `ctx.now()`.)"""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    """The current instant, timezone-aware (UTC)."""
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """An aware UTC datetime (the core already turns offset-less input into UTC)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
