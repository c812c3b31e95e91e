"""Input checks that collect every problem with its field path before raising one
BAD_USER_INPUT error."""

from __future__ import annotations

import re
from typing import Any

from community_plus_sdk import UserInputError

_PHONE = re.compile(r"^1[3-9]\d{9}$")
_ID = re.compile(r"^[0-9A-Za-z:_-]{1,64}$")


class Problems:
    def __init__(self) -> None:
        self.fields: dict[str, str] = {}

    def add(self, path: str, message: str) -> None:
        self.fields.setdefault(path, message)

    def raise_if_any(self) -> None:
        if self.fields:
            raise UserInputError(dict(self.fields))

    def text(self, path: str, value: str | None, *, max_length: int, required: bool = False) -> str | None:
        """Stripped text, or None when empty and optional."""
        value = (value or "").strip()
        if not value:
            if required:
                self.add(path, "必填 (required)")
            return None
        if len(value) > max_length:
            self.add(path, f"最多{max_length}字 (at most {max_length} characters)")
        return value

    def number(self, path: str, value: int | float | None, *, low: float, high: float,
               required: bool = False) -> Any:
        if value is None:
            if required:
                self.add(path, "必填 (required)")
            return None
        if not low <= value <= high:
            self.add(path, f"应在 {low} 到 {high} 之间 (must be between {low} and {high})")
        return value

    def phone(self, path: str, value: str | None) -> str | None:
        value = re.sub(r"[\s-]", "", value or "")
        if value and not _PHONE.match(value):
            self.add(path, "手机号格式错误 (expected an 11-digit mobile number)")
        return value or None

    def identifier(self, path: str, value: str | None, *, required: bool = True) -> str | None:
        if not value:
            if required:
                self.add(path, "必填 (required)")
            return None
        if not _ID.match(value):
            self.add(path, "无效的 id (malformed id)")
            return None
        return value

    def coordinates(self, prefix: str, longitude: float | None, latitude: float | None) -> None:
        self.number(f"{prefix}.longitude", longitude, low=-180, high=180, required=True)
        self.number(f"{prefix}.latitude", latitude, low=-90, high=90, required=True)


def page_size(first: int) -> int:
    if first < 0 or first > 100:
        raise UserInputError({"first": "应在 0 到 100 之间 (must be between 0 and 100)"})
    return first
