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
(`max_pinned` → `maxPinned`). Types: `bool`, `int`, `float`, `str`, `X | None` (optional, no
default in the schema), `list[X]`, `dict[str, X]` (an object of free keys) and nested settings
classes — a `list` of them too — for structured settings:

    @dataclass(frozen=True, kw_only=True)
    class Cutoff:
        days_before: int = setting(..., "提前天数", minimum=0, maximum=7)    # `...`: required
        time: str = setting(..., "截止时刻（HH:MM）", pattern="^([01][0-9]|2[0-3]):[0-5][0-9]$")

    @dataclass(frozen=True)
    class Cutoffs:
        lunch: Cutoff = setting(Cutoff(days_before=0, time="09:00"), "午餐")

A nested class becomes an object schema with `required` (its fields without a default) and
`additionalProperties: false`. Constraints are JSON Schema keywords (`minimum`, `maximum`,
`exclusiveMinimum`, `maxLength`, `enum`, `maxItems`, `uniqueItems`, `items`…). Invalid values a
console sends are refused with bilingual messages (`problem`); a class may add cross-field
checks in `def check(self, problems: FieldErrors)` (paths under `settings.`), run on every
update after the schema passed.

Loading is forgiving where storage is old: keys a community stored before a field existed
take the field's default (at any depth), keys no field knows any more are ignored.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any

from .models import camel

T = typing.TypeVar("T")
_TYPES = {bool: "boolean", int: "integer", float: "number", str: "string"}


def setting(default: Any, title: str, description: str | None = None, **constraints: Any) -> Any:
    """A settings field: its default (`...` for a field of a nested class that must be
    given), Chinese `title` (and `description`) shown in the console, and JSON Schema
    constraints."""
    meta = {"title": title, **({"description": description} if description else {}), **constraints}
    if default is ...:
        return dataclasses.field(metadata={"schema": meta})
    if isinstance(default, list | dict):
        return dataclasses.field(default_factory=lambda: _copy(default), metadata={"schema": meta})
    return dataclasses.field(default=default, metadata={"schema": meta})


def _copy(value: Any) -> Any:
    if isinstance(value, list):
        return [_copy(v) for v in value]
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    return value


def _optional(annotation: Any) -> Any:
    """`X` of `X | None` (or None when `annotation` is not optional)."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1 and len(typing.get_args(annotation)) == 2:
            return args[0]
    return None


def _json_type(annotation: Any) -> dict[str, Any]:
    inner = _optional(annotation)
    if inner is not None:
        return _json_type(inner)
    origin = typing.get_origin(annotation)
    if origin is list:
        (item,) = typing.get_args(annotation)
        return {"type": "array", "items": _json_type(item)}
    if origin is dict:
        key, value = typing.get_args(annotation)
        return {"type": "object", "additionalProperties": _json_type(value)}
    if dataclasses.is_dataclass(annotation):
        return _object_schema(annotation)
    if annotation in _TYPES:
        return {"type": _TYPES[annotation]}
    raise TypeError(f"settings fields may be bool, int, float, str, X | None, list[X], dict[str, X] or a settings "
                    f"dataclass (got {annotation!r})")


def _default(f: dataclasses.Field) -> Any:
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return f.default


def _object_schema(cls: type, *, top: bool = False) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    props: dict[str, Any] = {}
    required = []
    for f in dataclasses.fields(cls):
        default = _default(f)
        prop = _json_type(hints[f.name])
        if default is dataclasses.MISSING:
            required.append(camel(f.name))
        elif default is not None:
            prop["default"] = to_json(default)
        props[camel(f.name)] = {**prop, **f.metadata.get("schema", {})}
    out: dict[str, Any] = {"type": "object", "properties": props}
    if not top:
        out["additionalProperties"] = False
        if required:
            out["required"] = required
    elif required:
        raise TypeError(f"{cls.__name__}: every module setting needs a default ({', '.join(required)} has none)")
    return out


def schema_of(cls: type) -> dict[str, Any]:
    """The JSON Schema of a settings class (`Module(settings=cls)` sets it as `settings_schema`)."""
    return _object_schema(cls, top=True)


def to_json(value: Any) -> Any:
    """A settings value as stored and shown (camelCase keys; optional fields left out when None)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {camel(f.name): to_json(getattr(value, f.name)) for f in dataclasses.fields(value)
                if getattr(value, f.name) is not None}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    return value


def _from_json(annotation: Any, value: Any) -> Any:
    inner = _optional(annotation)
    if inner is not None:
        return None if value is None else _from_json(inner, value)
    origin = typing.get_origin(annotation)
    if origin is list:
        (item,) = typing.get_args(annotation)
        return [_from_json(item, v) for v in value or []]
    if origin is dict:
        _, of = typing.get_args(annotation)
        return {k: _from_json(of, v) for k, v in (value or {}).items()}
    if dataclasses.is_dataclass(annotation):
        return load(annotation, value or {})
    if annotation is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def load(cls: type[T], values: dict[str, Any]) -> T:
    """An instance of `cls` from effective settings (camelCase keys): keys missing take their
    defaults, at every depth; unknown keys are ignored."""
    hints = typing.get_type_hints(cls)
    given = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        key = camel(f.name)
        if key in values:
            given[f.name] = _from_json(hints[f.name], values[key])
    return cls(**given)


def check(cls: type | None, values: dict[str, Any], problems: Any) -> None:
    """Run the cross-field `check(problems)` of a settings class on merged values that passed
    the schema (the server calls this before storing them)."""
    if cls is not None and callable(getattr(cls, "check", None)):
        load(cls, values).check(problems)


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
    "uniqueItems": lambda v: "不能有重复项 (items must be unique)",
    "const": lambda v: f"应为 {v} (must be {v})",
    "multipleOf": lambda v: f"应为 {v} 的整数倍 (must be a multiple of {v})",
    "minProperties": lambda v: f"至少{v}项 (at least {v} entries)",
    "maxProperties": lambda v: f"最多{v}项 (at most {v} entries)",
}


def problem(validator: str, expected: Any, english: str) -> str:
    """A bilingual message for one JSON Schema failure (`validator` is its keyword, `expected`
    the keyword's value, `english` the validator's own message, kept as the hint otherwise)."""
    make = _MESSAGES.get(validator)
    return make(expected) if make else f"设置值无效 ({english})"
