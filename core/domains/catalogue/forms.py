"""Application forms described as JSON Schema: checked when admins save them, and every
submission validated against them with `jsonschema` (Draft 2020-12).

Field types map to JSON Schema like this (the mini-program renders from the same schema):

| field | schema |
|---|---|
| text | `{"type": "string", "maxLength": 200}` |
| number | `{"type": "number", "minimum": 0}` |
| date | `{"type": "string", "format": "date"}` |
| choice | `{"type": "string", "enum": ["a", "b"]}` |
| multi-choice | `{"type": "array", "items": {"enum": ["a", "b"]}, "uniqueItems": true}` |
| phone | `{"type": "string", "format": "phone"}` |
| ID number | `{"type": "string", "format": "id-number"}` |
| image | `{"type": "string", "format": "file-id"}` (or an array of them) |

Answers may hold only the form's fields (`additionalProperties: false` is implied at the top
level, whatever the form says): an unknown key is BAD_USER_INPUT at `input.answers.<key>`.
Every message is Chinese with an English hint, whichever JSON Schema keyword failed. Field
names are identifiers (they become keys of the stored answers).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError

from community_plus.platform.errors import BadUserInput
from community_plus.platform.validation import id_number_problem, phone_problem

_FILE_ID = re.compile(r"^[0-9a-f]{24}$")
_FIELD_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,39}$")
MAX_FIELDS = 60
MAX_TEXT = 5000  # any string answer, whatever the form allows
MAX_ITEMS = 100  # any list answer
TYPE_TEXT = {"string": "文本 (text)", "number": "数字 (a number)", "integer": "整数 (an integer)",
             "boolean": "是/否 (true or false)", "array": "列表 (a list)", "object": "对象 (an object)",
             "null": "空 (null)"}

format_checker = FormatChecker()


@format_checker.checks("phone")
def _phone(value: object) -> bool:
    return not isinstance(value, str) or phone_problem(value) is None


@format_checker.checks("id-number")
def _id_number(value: object) -> bool:
    return not isinstance(value, str) or id_number_problem(value) is None


@format_checker.checks("date", raises=ValueError)
def _date(value: object) -> bool:
    if isinstance(value, str):
        date.fromisoformat(value)
    return True


@format_checker.checks("file-id")
def _file_id(value: object) -> bool:
    return not isinstance(value, str) or bool(_FILE_ID.match(value))


def check_form_schema(schema: Any, path: str = "input.form") -> dict[str, Any]:
    """A usable form: a valid JSON Schema object with typed properties."""
    if not isinstance(schema, dict) or schema.get("type") != "object" or not isinstance(schema.get("properties"), dict):
        raise BadUserInput({path: "表单必须是 type=object 且带 properties 的 JSON Schema (a JSON Schema object with properties)"})
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        where = ".".join(str(p) for p in exc.absolute_path)
        raise BadUserInput({f"{path}{'.' + where if where else ''}":
                            f"无效的 JSON Schema (invalid JSON Schema: {exc.message})"}) from exc
    if len(schema["properties"]) > MAX_FIELDS:
        raise BadUserInput({path: f"字段过多 (at most {MAX_FIELDS} fields)"})
    for name, prop in schema["properties"].items():
        if not _FIELD_NAME.match(name):
            raise BadUserInput({f"{path}.properties.{name}": "字段名应以字母开头，只含字母、数字、下划线，最长40 "
                                                             "(field names: a letter, then letters, digits or _)"})
        if not isinstance(prop, dict) or "type" not in prop and "enum" not in prop:
            raise BadUserInput({f"{path}.properties.{name}": "每个字段需要 type (every field needs a type)"})
    missing = [r for r in schema.get("required", []) if r not in schema["properties"]]
    if missing:
        raise BadUserInput({f"{path}.required": f"必填字段未定义 {missing} (required fields must be properties)"})
    return schema


# keyword → message; {v} is the keyword's value in the form
MESSAGES = {
    "maxLength": "最多{v}字 (at most {v} characters)", "minLength": "至少{v}字 (at least {v} characters)",
    "minimum": "不能小于{v} (must be ≥ {v})", "maximum": "不能大于{v} (must be ≤ {v})",
    "exclusiveMinimum": "应大于{v} (must be > {v})", "exclusiveMaximum": "应小于{v} (must be < {v})",
    "multipleOf": "应为{v}的倍数 (must be a multiple of {v})", "maxItems": "最多{v}项 (at most {v} items)",
    "minItems": "至少{v}项 (at least {v} items)", "uniqueItems": "不能有重复项 (items must be unique)",
    "pattern": "格式不正确 (must match {v})", "const": "应为 {v} (must be {v})",
}
FORMAT_MESSAGES = {"date": "日期格式应为 YYYY-MM-DD (a date like 2025-06-01)",
                   "file-id": "应为上传文件的 id (must be the id of an uploaded file)",
                   "phone": "手机号格式错误 (invalid phone number)", "id-number": "身份证号无效 (invalid ID number)"}


def _message(err: Any) -> str:
    """A Chinese message (English hint) for one failed JSON Schema keyword."""
    kw, v = err.validator, err.validator_value
    if kw == "type":
        return "应为" + " 或 ".join(TYPE_TEXT.get(t, t) for t in (v if isinstance(v, list) else [v]))
    if kw == "enum":
        return f"应为以下之一: {' / '.join(map(str, v))} (must be one of {v})"
    if kw == "minLength" and v == 1:
        return "必填 (required)"
    if kw == "format":
        checks = {"phone": phone_problem, "id-number": id_number_problem}
        found = checks[v](err.instance) if v in checks and isinstance(err.instance, str) else None
        return found or FORMAT_MESSAGES.get(v, f"格式不正确 (must be a valid {v})")
    if kw in MESSAGES:
        return MESSAGES[kw].format(v=v)
    return f"不符合表单要求 (does not satisfy '{kw}' of the form)"


def validate_answers(schema: dict[str, Any], answers: Any, path: str = "input.answers") -> None:
    """Raise BAD_USER_INPUT naming every failing field path (unknown keys included)."""
    strict = {**schema, "additionalProperties": False}
    validator = Draft202012Validator(strict, format_checker=format_checker)
    fields: dict[str, str] = {}
    for err in sorted(validator.iter_errors(answers), key=lambda e: [str(p) for p in e.absolute_path]):
        parts = [str(p) for p in err.absolute_path]
        if err.validator == "required":
            for name in err.validator_value:
                if isinstance(err.instance, dict) and name not in err.instance:
                    fields.setdefault(".".join([path, *parts, name]), "必填 (required)")
            continue
        if err.validator == "additionalProperties" and isinstance(err.instance, dict):
            known = set(err.schema.get("properties", {}))
            for name in sorted(set(err.instance) - known):
                fields.setdefault(".".join([path, *parts, name]), "表单中没有这个字段 (not a field of this form)")
            continue
        fields.setdefault(".".join([path, *parts]), _message(err))
    for where, problem in _size_problems(answers, [path]):
        fields.setdefault(where, problem)
    if fields:
        raise BadUserInput(fields)


def _size_problems(value: Any, parts: list[str]) -> list[tuple[str, str]]:
    """Limits that hold whatever the form says (a form without maxLength is not unbounded)."""
    if isinstance(value, str) and len(value) > MAX_TEXT:
        return [(".".join(parts), f"最多{MAX_TEXT}字 (at most {MAX_TEXT} characters)")]
    if isinstance(value, list):
        if len(value) > MAX_ITEMS:
            return [(".".join(parts), f"最多{MAX_ITEMS}项 (at most {MAX_ITEMS} items)")]
        return [p for i, v in enumerate(value) for p in _size_problems(v, [*parts, str(i)])]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _size_problems(v, [*parts, str(k)])]
    return []


def file_ids_in(schema: dict[str, Any], answers: dict[str, Any], path: str = "input.answers") -> list[tuple[str, str]]:
    """Attachment references in the answers (fields with format file-id), each with its path."""
    found: list[tuple[str, str]] = []
    for name, prop in schema.get("properties", {}).items():
        value = answers.get(name)
        if prop.get("format") == "file-id" and isinstance(value, str):
            found.append((value, f"{path}.{name}"))
        elif prop.get("type") == "array" and prop.get("items", {}).get("format") == "file-id" and isinstance(value, list):
            found += [(v, f"{path}.{name}.{i}") for i, v in enumerate(value) if isinstance(v, str)]
    return found
