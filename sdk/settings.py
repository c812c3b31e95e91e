"""Typed module settings: a frozen dataclass whose fields are declared with `setting(...)`; the
module's settings JSON Schema (what the admin console edits, with Chinese titles) is derived
from it, and `await ctx.settings()` returns an instance (a community's effective values).

Example::

    @dataclass(frozen=True)
    class NoticeSettings:
        max_pinned: int = setting(3, "最多置顶条数", "超过后最早置顶的公告自动取消置顶", minimum=0, maximum=10)
        require_review: bool = setting(True, "发布前需审核")

    module = Module(name="notice_board", title="社区公告栏", version="0.1.0", settings=NoticeSettings)

    settings = await ctx.settings()      # NoticeSettings(max_pinned=3, require_review=True)
    if pinned >= settings.max_pinned: ...

Field names are snake_case in Python and camelCase in the schema and the console
(`max_pinned` → `maxPinned`). Types: `bool`, `int`, `float`, `str`, `list[str]`, `list[int]`;
constraints are JSON Schema keywords (`minimum`, `maximum`, `exclusiveMinimum`, `maxLength`,
`enum`, `maxItems`…). Invalid values a console sends are refused with bilingual messages
(`problem`).
"""

from __future__ import annotations

import dataclasses
import typing
from typing import Any

from .models import camel

T = typing.TypeVar("T")
_TYPES = {bool: "boolean", int: "integer", float: "number", str: "string"}


def setting(default: Any, title: str, description: str | None = None, **constraints: Any) -> Any:
    """A settings field: its default, Chinese `title` (and `description`) shown in the console,
    and JSON Schema constraints."""
    meta = {"title": title, **({"description": description} if description else {}), **constraints}
    if isinstance(default, list):
        return dataclasses.field(default_factory=lambda: list(default), metadata={"schema": meta})
    return dataclasses.field(default=default, metadata={"schema": meta})


def _json_type(annotation: Any) -> dict[str, Any]:
    origin = typing.get_origin(annotation)
    if origin is list:
        (item,) = typing.get_args(annotation)
        return {"type": "array", "items": {"type": _TYPES[item]}}
    return {"type": _TYPES[annotation]}


def schema_of(cls: type) -> dict[str, Any]:
    """The JSON Schema of a settings class (`Module(settings=cls)` sets it as `settings_schema`)."""
    hints = typing.get_type_hints(cls)
    props: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
        props[camel(f.name)] = {**_json_type(hints[f.name]), "default": default, **f.metadata.get("schema", {})}
    return {"type": "object", "properties": props}


def load(cls: type[T], values: dict[str, Any]) -> T:
    """An instance of `cls` from effective settings (camelCase keys; unknown keys ignored)."""
    names = {camel(f.name): f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    return cls(**{names[k]: v for k, v in values.items() if k in names})


_MESSAGES = {
    "type": lambda v: f"类型应为 {v} (must be of type {v})",
    "minimum": lambda v: f"不能小于 {v} (must be ≥ {v})",
    "maximum": lambda v: f"不能大于 {v} (must be ≤ {v})",
    "exclusiveMinimum": lambda v: f"应大于 {v} (must be > {v})",
    "exclusiveMaximum": lambda v: f"应小于 {v} (must be < {v})",
    "minLength": lambda v: f"至少{v}个字 (at least {v} characters)",
    "maxLength": lambda v: f"最多{v}个字 (at most {v} characters)",
    "minItems": lambda v: f"至少{v}项 (at least {v} items)",
    "maxItems": lambda v: f"最多{v}项 (at most {v} items)",
    "enum": lambda v: f"应为以下之一：{', '.join(map(str, v))} (must be one of {', '.join(map(str, v))})",
    "pattern": lambda v: f"格式不正确 (must match {v})",
    "additionalProperties": lambda v: "含有未知的设置项 (unknown settings)",
}


def problem(validator: str, expected: Any, english: str) -> str:
    """A bilingual message for one JSON Schema failure (`validator` is its keyword, `expected`
    the keyword's value, `english` the validator's own message, kept as the hint otherwise)."""
    make = _MESSAGES.get(validator)
    return make(expected) if make else f"设置值无效 ({english})"
