"""Input checks that collect every problem with its field path, then raise one
BAD_USER_INPUT."""

from __future__ import annotations

import re

from community_plus_sdk import UserInputError

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
        value = (value or "").strip()
        if not value:
            if required:
                self.add(path, "必填 (required)")
            return None
        if len(value) > max_length:
            self.add(path, f"最多{max_length}字 (at most {max_length} characters)")
        return value

    def identifier(self, path: str, value: str | None, *, required: bool = True) -> str | None:
        if not value:
            if required:
                self.add(path, "必填 (required)")
            return None
        if not _ID.match(value):
            self.add(path, "无效的 id (malformed id)")
            return None
        return value


def valid_id(path: str, value: str) -> str:
    """One id argument, or BAD_USER_INPUT at `path`."""
    problems = Problems()
    problems.identifier(path, value)
    problems.raise_if_any()
    return value
