"""Input helpers shared by the domains: bounded free text and a statistics time window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from community_plus.platform.errors import BadUserInput, FieldErrors
from community_plus.platform.validation import as_utc, text_problem


def clean_text(errors: FieldErrors, path: str, value: str | None, limit: int, required: bool = False) -> str:
    """`value` stripped; a problem (missing when required, too long, unstorable) is added at `path`."""
    value = (value or "").strip()
    if required and not value:
        errors.add(path, "必填 (required)")
    elif value and (problem := text_problem(value, limit)):
        errors.add(path, problem)
    return value


def required_text(path: str, value: str | None, limit: int = 1000) -> str:
    """One required text argument, or BAD_USER_INPUT at `path`."""
    errors = FieldErrors()
    value = clean_text(errors, path, value, limit, required=True)
    errors.raise_if_any()
    return value


def window(since: datetime | None, until: datetime | None, days: int = 30) -> tuple[datetime, datetime]:
    """A statistics window: until now and the `days` before it by default."""
    until = as_utc(until) if until else datetime.now(UTC)
    since = as_utc(since) if since else until - timedelta(days=days)
    if since >= until:
        raise BadUserInput({"since": "开始时间应早于结束时间 (since must be before until)"})
    return since, until
