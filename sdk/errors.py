"""Errors a module raises; each becomes a GraphQL error with a stable `extensions.code`.

Example: ``raise UserInputError({"input.quantity": "最多5份 (at most 5)"})``
"""

from __future__ import annotations

from typing import Any


class ModuleError(Exception):
    code = "INTERNAL_SERVER_ERROR"

    def __init__(self, message: str, **extensions: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extensions = extensions


class UserInputError(ModuleError):
    """Invalid input; `fields` maps field paths to what is wrong."""

    code = "BAD_USER_INPUT"

    def __init__(self, fields: dict[str, str], message: str | None = None) -> None:
        super().__init__(message or "输入有误 (invalid input): " + "; ".join(f"{k}: {v}" for k, v in fields.items()))
        self.fields = fields


class ForbiddenError(ModuleError):
    code = "FORBIDDEN"


class NotFoundError(ModuleError):
    code = "NOT_FOUND"


class ConflictError(ModuleError):
    code = "CONFLICT"
