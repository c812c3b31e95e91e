"""The error tree of Community+: every expected error has a stable `extensions.code`, a
Chinese message with an English hint in parentheses (`"最多5份 (at most 5)"`), and the HTTP
status a request error of that code gets. The server's own errors take their codes, statuses
and default messages from these classes; a module raises them directly.

Example::

    problems = FieldErrors()
    problems.text("input.title", inp.title, max_length=20, required=True)
    if inp.quantity > 5:
        problems.add("input.quantity", "最多5份 (at most 5)")
    problems.raise_if_any()  # one BAD_USER_INPUT naming every field
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from .fields import Invalid
from .idempotency import key_problem


class ModuleError(Exception):
    code: ClassVar[str] = "INTERNAL_SERVER_ERROR"
    http_status: ClassVar[int] = 500
    default_message: ClassVar[str] = "服务器内部错误 (internal error)"

    def __init__(self, message: str | None = None, **extensions: Any) -> None:
        message = message or self.default_message
        super().__init__(message)
        self.message = message
        self.extensions = extensions


class UnauthenticatedError(ModuleError):
    code, http_status, default_message = "UNAUTHENTICATED", 401, "请先登录 (authentication required)"


class ForbiddenError(ModuleError):
    code, http_status = "FORBIDDEN", 403
    default_message = "无权执行此操作 (not allowed for your role or scope)"


class NotFoundError(ModuleError):
    code, http_status = "NOT_FOUND", 404
    default_message = "未找到该记录或无权查看 (record not found)"


class ConflictError(ModuleError):
    """The record is not in a state that allows this; `reason` (an extension) says why."""

    code, http_status, default_message = "CONFLICT", 409, "与当前状态冲突 (conflicts with the current state)"


class UserInputError(ModuleError):
    """Invalid input; `fields` maps field paths to what is wrong."""

    code, http_status = "BAD_USER_INPUT", 400

    def __init__(self, fields: dict[str, str], message: str | None = None) -> None:
        super().__init__(message or summary(fields))
        self.fields = fields


class RetryTransaction(Exception):
    """Raise inside `ctx.transaction` when a compare-and-set found its row changed by a
    concurrent request after it was read: the transaction runs again (within its time
    budget, like a write conflict), so its checks give the precise answer."""


def summary(fields: dict[str, str]) -> str:
    """The message of a BAD_USER_INPUT error naming `fields`."""
    return "输入有误 (invalid input): " + "; ".join(f"{k}: {v}" for k, v in fields.items())


HTTP_STATUS = {"BAD_REQUEST": 400, "BAD_USER_INPUT": 400, "GRAPHQL_VALIDATION_FAILED": 400,
               "QUERY_TOO_COMPLEX": 400, "MODULE_DISABLED": 400,
               "PERSISTED_QUERY_NOT_FOUND": 400, "UNAUTHENTICATED": 401, "FORBIDDEN": 403, "NOT_FOUND": 404,
               "CONFLICT": 409, "RATE_LIMITED": 429, "SERVICE_UNAVAILABLE": 503, "WECHAT_NOT_CONFIGURED": 503,
               "STORAGE_UNAVAILABLE": 503, "INTERNAL_SERVER_ERROR": 500}


def status_for(code: str | None) -> int:
    """The HTTP status of a request error with this code (400 for codes not listed)."""
    return HTTP_STATUS.get(code or "", 400)


REQUIRED = "必填 (required)"
_PHONE = re.compile(r"^1[3-9]\d{9}$")


class FieldErrors:
    """Collects per-field problems (the first one per path wins), then raises one error
    naming them all (`UserInputError`; the server's subclass raises its own)."""

    error: ClassVar[type[Exception]] = UserInputError

    def __init__(self, prefix: str = "") -> None:
        self.prefix = prefix
        self.fields: dict[str, str] = {}

    def path(self, name: str) -> str:
        return f"{self.prefix}.{name}" if self.prefix else name

    def add(self, name: str, message: str) -> None:
        self.fields.setdefault(self.path(name), message)

    def __bool__(self) -> bool:
        return bool(self.fields)

    def __setitem__(self, path: str, message: str) -> None:
        """`problems["input.endsOn"] = "…"`: a problem at a full path (the prefix is not added)."""
        self.fields.setdefault(path, message)

    def __contains__(self, path: str) -> bool:
        return path in self.fields

    def raise_if_any(self) -> None:
        if self.fields:
            raise self.error(dict(self.fields))  # type: ignore[call-arg]

    def text(self, name: str, value: str | None, *, max_length: int, required: bool = False) -> str | None:
        """Stripped text, or None when empty (a problem when required or too long)."""
        value = (value or "").strip()
        if not value:
            if required:
                self.add(name, REQUIRED)
            return None
        if len(value) > max_length:
            self.add(name, f"最多{max_length}字 (at most {max_length} characters)")
        return value

    def number(self, name: str, value: int | float | None, *, low: float, high: float,
               required: bool = False) -> Any:
        if value is None:
            if required:
                self.add(name, REQUIRED)
            return None
        if not low <= value <= high:
            self.add(name, f"应在 {low} 到 {high} 之间 (must be between {low} and {high})")
        return value

    def phone(self, name: str, value: str | None) -> str | None:
        """A mainland mobile number with spaces and dashes removed."""
        value = re.sub(r"[\s-]", "", value or "")
        if value and not _PHONE.match(value):
            self.add(name, "手机号格式错误 (expected an 11-digit mobile number)")
        return value or None

    def value(self, name: str, field: Any, value: Any, *, required: bool = False) -> Any:
        """`value` cleaned by an SDK field (`fields.String(...)`…); None when missing or invalid."""
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.add(name, REQUIRED)
            return None
        try:
            return field.clean(value)
        except Invalid as exc:
            self.add(name, str(exc))
            return None

    def idempotency_key(self, name: str, key: str | None) -> str | None:
        """An `idempotencyKey` input checked against the one rule (`community_plus_sdk.idempotency`)."""
        if problem := key_problem(key):
            self.add(name, problem)
        return key

    def merge(self, problems: dict[str, str]) -> None:
        """Problems already keyed by full path (e.g. from `Model.clean`)."""
        for path, message in problems.items():
            self.fields.setdefault(path, message)
