"""The server's exception tree: GraphQL errors whose codes, statuses and default messages
are the SDK's (`community_plus_sdk.errors`). Every user-facing error carries a stable `extensions.code`.

`http_status` is the status a *request error* of that class gets (an error that stops the
request before execution, answered without `data`, e.g. with
`Accept: application/graphql-response+json`); a field error inside a response is always 200.
`status_for(code)` covers classes without one and codes that arrive as plain dicts.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError

from community_plus_sdk import errors as sdk
from community_plus_sdk.errors import HTTP_STATUS, status_for  # noqa: F401  (the core's callers import them here)


class AppError(GraphQLError):
    """Base of all expected errors; rendered as a GraphQL error with `extensions.code`."""

    code = "INTERNAL_SERVER_ERROR"

    def __init__(self, message: str, **extensions: Any) -> None:
        super().__init__(message, extensions={"code": self.code, **extensions})


class Unauthenticated(AppError):
    """No principal. `reason` tells a presented-but-refused token (TOKEN_EXPIRED: refresh the
    session; TOKEN_INVALID: log in again) apart from no token at all (no `reason`)."""

    code, http_status = sdk.UnauthenticatedError.code, sdk.UnauthenticatedError.http_status

    def __init__(self, message: str = sdk.UnauthenticatedError.default_message, **ext: Any) -> None:
        super().__init__(message, **ext)


class Forbidden(AppError):
    code, http_status = sdk.ForbiddenError.code, sdk.ForbiddenError.http_status

    def __init__(self, message: str = sdk.ForbiddenError.default_message, **ext: Any) -> None:
        super().__init__(message, **ext)


class NotFound(AppError):
    code, http_status = sdk.NotFoundError.code, sdk.NotFoundError.http_status

    def __init__(self, what: str = "record", **ext: Any) -> None:
        super().__init__(f"未找到该记录或无权查看 ({what} not found)", **ext)


class Conflict(AppError):
    code, http_status = sdk.ConflictError.code, sdk.ConflictError.http_status


class ModuleDisabled(AppError):
    code = "MODULE_DISABLED"


class RateLimited(AppError):
    code = "RATE_LIMITED"
    http_status = 429

    def __init__(self, message: str, retry_after: int, **ext: Any) -> None:
        super().__init__(message, retryAfter=retry_after, **ext)


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

    code = sdk.UserInputError.code

    def __init__(self, fields: dict[str, str], message: str | None = None) -> None:
        self.fields = fields
        super().__init__(message or sdk.summary(fields), fields=[{"path": k, "message": v} for k, v in fields.items()])


class FieldErrors(sdk.FieldErrors):
    """The SDK's collector, raising the core's `BadUserInput`."""

    error = BadUserInput

