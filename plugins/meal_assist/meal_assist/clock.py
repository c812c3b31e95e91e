"""The module's time source. Everything time-dependent (cut-offs, "today", months) calls
`clock.now()` through this module, so tests can move time without sleeping."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    """The current instant, timezone-aware (UTC)."""
    return datetime.now(UTC)
