"""The exception tree. Every user-facing error carries a stable `extensions.code`."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError


class AppError(GraphQLError):
    """Base of all expected errors; rendered as a GraphQL error with `extensions.code`."""

    code = "INTERNAL_SERVER_ERROR"

    def __init__(self, message: str, **extensions: Any) -> None:
        super().__init__(message, extensions={"code": self.code, **extensions})


class Unauthenticated(AppError):
    code = "UNAUTHENTICATED"

    def __init__(self, message: str = "请先登录 (authentication required)", **ext: Any) -> None:
        super().__init__(message, **ext)


class Forbidden(AppError):
    code = "FORBIDDEN"

    def __init__(self, message: str = "无权执行此操作 (not allowed for your role or scope)", **ext: Any) -> None:
        super().__init__(message, **ext)


class NotFound(AppError):
    code = "NOT_FOUND"

    def __init__(self, what: str = "record", **ext: Any) -> None:
        super().__init__(f"{what} not found", **ext)


class Conflict(AppError):
    code = "CONFLICT"


class ModuleDisabled(AppError):
    code = "MODULE_DISABLED"


class RateLimited(AppError):
    code = "RATE_LIMITED"

    def __init__(self, message: str, retry_after: int, **ext: Any) -> None:
        super().__init__(message, retryAfter=retry_after, **ext)


class QueryTooComplex(AppError):
    code = "QUERY_TOO_COMPLEX"


class BadUserInput(AppError):
    """Invalid input; `fields` maps each offending field path to what is wrong with it."""

    code = "BAD_USER_INPUT"

    def __init__(self, fields: dict[str, str], message: str | None = None) -> None:
        self.fields = fields
        summary = message or "输入有误 (invalid input): " + "; ".join(f"{k}: {v}" for k, v in fields.items())
        super().__init__(summary, fields=[{"path": k, "message": v} for k, v in fields.items()])


class FieldErrors:
    """Collects per-field problems, then raises one `BadUserInput` naming them all."""

    def __init__(self) -> None:
        self.fields: dict[str, str] = {}

    def add(self, path: str, message: str) -> None:
        self.fields.setdefault(path, message)

    def raise_if_any(self) -> None:
        if self.fields:
            raise BadUserInput(dict(self.fields))
