"""Input checks: each collects problems by field path into a dict; `raise_if_any` turns them
into one BAD_USER_INPUT naming every offending field."""

from __future__ import annotations

import re

from community_plus_sdk import UserInputError

_ID = re.compile(r"^[0-9A-Za-z:_-]{1,64}$")


def text(problems: dict[str, str], path: str, value: str | None, limit: int, required: bool = False) -> str | None:
    value = (value or "").strip()
    if not value and required:
        problems.setdefault(path, "必填 (required)")
    elif len(value) > limit:
        problems.setdefault(path, f"最多{limit}字 (at most {limit} characters)")
    return value or None


def ident(path: str, value: str) -> str:
    if not _ID.match(value or ""):
        raise UserInputError({path: "无效的 id (malformed id)"})
    return value


def raise_if_any(problems: dict[str, str]) -> None:
    if problems:
        raise UserInputError(dict(problems))
