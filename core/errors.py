"""The exception tree. Every user-facing error carries a stable `extensions.code`.

`http_status` is the status a *request error* of that class gets (an error that stops the
request before execution, answered without `data`, e.g. with
`Accept: application/graphql-response+json`); a field error inside a response is always 200.
`status_for(code)` covers classes without one and codes that arrive as plain dicts.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError


class AppError(GraphQLError):
    """Base of all expected errors; rendered as a GraphQL error with `extensions.code`."""

    code = "INTERNAL_SERVER_ERROR"

    def __init__(self, message: str, **extensions: Any) -> None:
        super().__init__(message, extensions={"code": self.code, **extensions})


class Unauthenticated(AppError):
    """No principal. `reason` tells a presented-but-refused token (TOKEN_EXPIRED: refresh the
    session; TOKEN_INVALID: log in again) apart from no token at all (no `reason`)."""

    code = "UNAUTHENTICATED"
    http_status = 401

    def __init__(self, message: str = "请先登录 (authentication required)", **ext: Any) -> None:
        super().__init__(message, **ext)


class Forbidden(AppError):
    code = "FORBIDDEN"
    http_status = 403

    def __init__(self, message: str = "无权执行此操作 (not allowed for your role or scope)", **ext: Any) -> None:
        super().__init__(message, **ext)


class NotFound(AppError):
    code = "NOT_FOUND"
    http_status = 404

    def __init__(self, what: str = "record", **ext: Any) -> None:
        super().__init__(f"未找到该记录或无权查看 ({what} not found)", **ext)


class Conflict(AppError):
    code = "CONFLICT"
    http_status = 409


class ModuleDisabled(AppError):
    code = "MODULE_DISABLED"


class RateLimited(AppError):
    code = "RATE_LIMITED"
    http_status = 429

    def __init__(self, message: str, retry_after: int, **ext: Any) -> None:
        super().__init__(message, retryAfter=retry_after, **ext)


class QueryTooComplex(AppError):
    code = "QUERY_TOO_COMPLEX"


class BadRequest(AppError):
    """The HTTP request itself is malformed (body, content type, envelope fields, multipart
    form): nothing was executed. `http_status` is 400 unless a more precise one applies (405,
    413, 415)."""

    code = "BAD_REQUEST"

    def __init__(self, message: str, http_status: int = 400, **ext: Any) -> None:
        super().__init__(message, **ext)
        self.http_status = http_status


class WeChatNotConfigured(AppError):
    """The server's WeChat credentials are missing or refused by WeChat: an operator must set
    CP_WECHAT_APPID / CP_WECHAT_SECRET. Not retryable by the client."""

    code = "WECHAT_NOT_CONFIGURED"
    http_status = 503

    def __init__(self, message: str = "微信登录暂未开通，请联系社区管理员 (WeChat login is not configured on this "
                                      "server: ask the operator; the details are in the server log)",
                 **ext: Any) -> None:
        super().__init__(message, **ext)


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


HTTP_STATUS = {"BAD_REQUEST": 400, "BAD_USER_INPUT": 400, "GRAPHQL_VALIDATION_FAILED": 400,
               "QUERY_TOO_COMPLEX": 400, "MODULE_DISABLED": 400,
               "PERSISTED_QUERY_NOT_FOUND": 400, "UNAUTHENTICATED": 401, "FORBIDDEN": 403, "NOT_FOUND": 404,
               "CONFLICT": 409, "RATE_LIMITED": 429, "SERVICE_UNAVAILABLE": 503, "WECHAT_NOT_CONFIGURED": 503,
               "STORAGE_UNAVAILABLE": 503, "INTERNAL_SERVER_ERROR": 500}


def status_for(code: str | None) -> int:
    """The HTTP status of a request error with this code (400 for codes not listed)."""
    return HTTP_STATUS.get(code or "", 400)
