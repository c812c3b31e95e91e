"""A movable clock: the fake's notion of "now", which tests can push forward."""

from __future__ import annotations

import time


class FakeClock:
    """Wall-clock time plus an offset; `advance(seconds)` moves it forward.

    >>> clock = FakeClock()
    >>> before = clock.now()
    >>> clock.advance(301)   # codes issued before now have expired
    >>> clock.now() - before >= 301
    True
    """

    def __init__(self) -> None:
        self._offset = 0.0

    def now(self) -> float:
        return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("the fake clock only moves forward")
        self._offset += seconds
