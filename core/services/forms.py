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
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError

from ..errors import BadUserInput
from ..validation import id_number_problem, phone_problem

_FILE_ID = re.compile(r"^[0-9a-f]{24}$")
MAX_FIELDS = 60

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
        where = "/".join(str(p) for p in exc.absolute_path)
        raise BadUserInput({f"{path}{'.' + where if where else ''}": f"无效的 JSON Schema: {exc.message}"}) from exc
    if len(schema["properties"]) > MAX_FIELDS:
        raise BadUserInput({path: f"字段过多 (at most {MAX_FIELDS} fields)"})
    for name, prop in schema["properties"].items():
        if not isinstance(prop, dict) or "type" not in prop and "enum" not in prop:
            raise BadUserInput({f"{path}.properties.{name}": "每个字段需要 type (every field needs a type)"})
    missing = [r for r in schema.get("required", []) if r not in schema["properties"]]
    if missing:
        raise BadUserInput({f"{path}.required": f"必填字段未定义 {missing} (required fields must be properties)"})
    return schema


def validate_answers(schema: dict[str, Any], answers: Any, path: str = "input.answers") -> None:
    """Raise BAD_USER_INPUT naming every failing field path."""
    validator = Draft202012Validator(schema, format_checker=format_checker)
    fields: dict[str, str] = {}
    for err in sorted(validator.iter_errors(answers), key=lambda e: list(e.absolute_path)):
        parts = [str(p) for p in err.absolute_path]
        if err.validator == "required":
            for name in err.validator_value:
                if isinstance(err.instance, dict) and name not in err.instance:
                    fields.setdefault(".".join([path, *parts, name]), "必填 (required)")
            continue
        if err.validator == "additionalProperties" and isinstance(err.instance, dict):
            extra = set(err.instance) - set(err.schema.get("properties", {}))
            for name in sorted(extra):
                fields.setdefault(".".join([path, *parts, name]), "表单中没有这个字段 (not a field of this form)")
            continue
        fields.setdefault(".".join([path, *parts]), err.message)
    if fields:
        raise BadUserInput(fields)


def file_ids_in(schema: dict[str, Any], answers: dict[str, Any]) -> list[str]:
    """Attachment references in the answers (fields with format file-id)."""
    ids: list[str] = []
    for name, prop in schema.get("properties", {}).items():
        value = answers.get(name)
        if prop.get("format") == "file-id" and isinstance(value, str):
            ids.append(value)
        elif prop.get("type") == "array" and prop.get("items", {}).get("format") == "file-id" and isinstance(value, list):
            ids += [v for v in value if isinstance(v, str)]
    return ids
