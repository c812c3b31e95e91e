"""Input checks that collect every problem with its field path before raising one
BAD_USER_INPUT error: the SDK's `FieldErrors`, plus ids and coordinates."""

from __future__ import annotations

import re

from community_plus_sdk import FieldErrors, UserInputError
from community_plus_sdk.clock import clock, month_of
from community_plus_sdk.errors import REQUIRED

_ID = re.compile(r"^[0-9A-Za-z:_-]{1,64}$")


class Problems(FieldErrors):
    def identifier(self, path: str, value: str | None, *, required: bool = True) -> str | None:
        if not value:
            if required:
                self.add(path, REQUIRED)
            return None
        if not _ID.match(value):
            self.add(path, "无效的 id (malformed id)")
            return None
        return value

    def coordinates(self, prefix: str, longitude: float | None, latitude: float | None) -> None:
        self.number(f"{prefix}.longitude", longitude, low=-180, high=180, required=True)
        self.number(f"{prefix}.latitude", latitude, low=-90, high=90, required=True)


_MONTH = re.compile(r"^(19\d\d|2\d\d\d)-(0[1-9]|1[0-2])$")  # 1900–2999: dates beyond cannot be computed with


def parse_month(value: str | None, field: str = "month") -> str:
    """A `YYYY-MM` month (default: this month in China, on the clock)."""
    if value is None:
        return month_of(clock.now())
    if not _MONTH.match(value):
        raise UserInputError({field: "月份格式应为 YYYY-MM，年份在1900到2999之间 (a month like 2025-06)"})
    return value
