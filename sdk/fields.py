"""Field types of the declarative model API. Each validates input and names a GraphQL type.

Example::

    class Notice(Model):
        title = fields.String(required=True, max_length=100, filter=True)
        pinned = fields.Boolean(default=False, filter=True)
        photos = fields.List(fields.Image(), max_items=9)
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

_FILE_ID = re.compile(r"^[0-9a-f]{24}$")
_PHONE = re.compile(r"^1[3-9]\d{9}$")


class Invalid(Exception):
    """A field value is invalid; the message says why (shown to the user)."""


class Field:
    """Base field. `required` fields must be given on create; `filter=True` adds an equality
    filter argument (and an index); `default` applies on create when omitted; `read_only=True`
    fields are output only (computed by `Model.before_save`)."""

    python_type: Any = str

    def __init__(self, *, required: bool = False, default: Any = None, filter: bool = False,
                 description: str | None = None, index: bool = False, read_only: bool = False) -> None:
        self.read_only = read_only  # shown, never in create/update inputs: set by `Model.before_save`
        self.required = required and not read_only
        self.default = default
        self.filter = filter
        self.index = index or filter
        self.description = description
        self.name = ""  # set by Model

    def validate(self, value: Any) -> Any:
        return value

    def clean(self, value: Any) -> Any:
        """Validate a non-null value (raises `Invalid`)."""
        return self.validate(value)

    def filter_value(self, value: Any) -> Any:
        """A filter argument as stored (a `Date` becomes the stored datetime); raises `Invalid`
        for a value no row can hold."""
        return self.validate(value)

    def to_output(self, value: Any) -> Any:
        return value


class String(Field):
    def __init__(self, *, max_length: int = 200, min_length: int = 0, pattern: str | None = None, **kw: Any) -> None:
        super().__init__(**kw)
        self.max_length, self.min_length = max_length, min_length
        self.pattern = re.compile(pattern) if pattern else None

    def validate(self, value: Any) -> Any:
        if not isinstance(value, str):
            raise Invalid("应为文本 (must be text)")
        value = value.strip()
        if self.required and not value:
            raise Invalid("必填 (required)")
        if len(value) > self.max_length:
            raise Invalid(f"最多{self.max_length}字 (at most {self.max_length} characters)")
        if len(value) < self.min_length:
            raise Invalid(f"至少{self.min_length}字 (at least {self.min_length} characters)")
        if self.pattern and not self.pattern.match(value):
            raise Invalid("格式不正确 (does not match the expected format)")
        return value

    def filter_value(self, value: Any) -> Any:
        if not isinstance(value, str):
            raise Invalid("应为文本 (must be text)")
        if len(value.strip()) > self.max_length:
            raise Invalid(f"最多{self.max_length}字 (at most {self.max_length} characters)")
        return value.strip()


class Text(String):
    def __init__(self, *, max_length: int = 5000, **kw: Any) -> None:
        super().__init__(max_length=max_length, **kw)


class Phone(String):
    def validate(self, value: Any) -> Any:
        value = super().validate(value)
        if value and not _PHONE.match(re.sub(r"[\s-]", "", value)):
            raise Invalid("手机号格式错误 (expected an 11-digit mobile number)")
        return re.sub(r"[\s-]", "", value)


class Integer(Field):
    python_type = int

    def __init__(self, *, min: int | None = None, max: int | None = None, **kw: Any) -> None:
        super().__init__(**kw)
        self.min, self.max = min, max

    def validate(self, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            raise Invalid("应为整数 (must be an integer)")
        return self.in_range(value)

    def in_range(self, value: Any) -> Any:
        if self.min is not None and value < self.min:
            raise Invalid(f"不能小于{self.min} (must be ≥ {self.min})")
        if self.max is not None and value > self.max:
            raise Invalid(f"不能大于{self.max} (must be ≤ {self.max})")
        return value


class Float(Integer):
    python_type = float

    def validate(self, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise Invalid("应为数字 (must be a number)")
        return self.in_range(float(value))


class Boolean(Field):
    python_type = bool

    def validate(self, value: Any) -> Any:
        if not isinstance(value, bool):
            raise Invalid("应为是/否 (must be true or false)")
        return value


class Date(Field):
    python_type = date

    def validate(self, value: Any) -> Any:
        if isinstance(value, datetime) or not isinstance(value, date):
            raise Invalid("应为日期 (must be a date)")
        return datetime(value.year, value.month, value.day)

    def to_output(self, value: Any) -> Any:
        return value.date() if isinstance(value, datetime) else value


class DateTime(Field):
    python_type = datetime

    def validate(self, value: Any) -> Any:
        if not isinstance(value, datetime):
            raise Invalid("应为时间 (must be a date-time)")
        return value


class Choice(Field):
    """One of fixed values (shown as a String; the allowed values are listed in the schema)."""

    def __init__(self, choices: list[str], **kw: Any) -> None:
        super().__init__(**kw)
        self.choices = list(choices)
        if not self.description:
            self.description = "one of: " + ", ".join(self.choices)

    def validate(self, value: Any) -> Any:
        if value not in self.choices:
            raise Invalid(f"应为 {' / '.join(self.choices)} (one of {self.choices})")
        return value


class Image(Field):
    """A reference to an uploaded image (a file id from `/upload`)."""

    def validate(self, value: Any) -> Any:
        if not isinstance(value, str) or not _FILE_ID.match(value):
            raise Invalid("应为上传文件的 id (must be the id of an uploaded file)")
        return value


class ResidentRef(Field):
    """The id of a resident of the same community (checked by the server)."""

    def validate(self, value: Any) -> Any:
        if not isinstance(value, str) or not value:
            raise Invalid("应为居民 id (must be a resident id)")
        return value


ON_DELETE = ("restrict", "cascade", "set_null")


class Ref(Field):
    """The id of a row of another model of the same module, in the same community. The
    server checks on every save that the row exists there (else BAD_USER_INPUT at the
    field's input path), indexes the field, and exposes both the id (`providerId`) and the
    row itself (`provider`, the field's name without `_id`, or `object_name`), resolved
    through a per-request DataLoader. The field's name must end in `_id`.

    `on_delete` says what deleting the referenced row does to the rows referring to it, in
    the delete's transaction: `"restrict"` (default) refuses the delete (CONFLICT,
    `reason: REFERENCED`), `"cascade"` deletes them too (their own references apply in
    turn), `"set_null"` clears the field (not allowed for a `required` field).

    Example::

        class MealVolunteer(Model):
            canteen_id = fields.Ref("Canteen", on_delete="set_null")  # → canteenId, canteen

    `to` is the model class or its type name (a name allows models declared later).
    """

    def __init__(self, to: Any, *, on_delete: str = "restrict", object_name: str | None = None, **kw: Any) -> None:
        if on_delete not in ON_DELETE:
            raise TypeError(f"on_delete must be one of {', '.join(ON_DELETE)} (got {on_delete!r})")
        if on_delete == "set_null" and kw.get("required"):
            raise TypeError("a required reference cannot be set to null when its row is deleted: "
                            "use on_delete='restrict' or 'cascade'")
        kw["index"] = True
        super().__init__(**kw)
        self.to = to
        self.on_delete = on_delete
        self._object_name = object_name

    @property
    def target_name(self) -> str:
        """The GraphQL type name of the referenced model."""
        return self.to if isinstance(self.to, str) else self.to.type_name()

    @property
    def object_name(self) -> str:
        """The Python name of the resolved-row field (`provider_id` → `provider`)."""
        return self._object_name or self.name.removesuffix("_id")

    def validate(self, value: Any) -> Any:
        if not isinstance(value, str) or not value.strip() or len(value) > 64:
            raise Invalid(f"应为{self.target_name}的 id (must be the id of a {self.target_name})")
        return value.strip()


class List(Field):
    def __init__(self, of: Field, *, max_items: int = 50, min_items: int = 0, **kw: Any) -> None:
        kw.setdefault("default", [])
        super().__init__(**kw)
        self.of = of
        self.max_items = max_items
        self.min_items = min_items

    @property
    def python_type(self) -> Any:  # type: ignore[override]
        return list[self.of.python_type]

    def validate(self, value: Any) -> Any:
        if not isinstance(value, list):
            raise Invalid("应为列表 (must be a list)")
        if len(value) > self.max_items:
            raise Invalid(f"最多{self.max_items}项 (at most {self.max_items} items)")
        if len(value) < self.min_items:
            raise Invalid(f"至少{self.min_items}项 (at least {self.min_items} items)")
        out = []
        for i, v in enumerate(value):
            try:
                out.append(self.of.validate(v))
            except Invalid as exc:
                raise Invalid(f"第{i + 1}项: {exc} (item {i})") from exc
        return out


class SealedPhone(Phone):
    """A person's mobile number kept like residents' phones: encrypted at rest with the
    platform's PII keyring, stored with a keyed blind index (so `filter=True` still finds
    rows by the full number) and read back masked (`138****5678`). The generated GraphQL field
    takes `reveal: true` to return the full number, audited, for the roles in `reveal`
    (role or permission names; default: whoever may update the row; a resident always may
    for their own rows).

    Example::

        class CareProvider(Model):
            contact_phone = fields.SealedPhone(reveal=["elder_care.provider.manage"])
    """

    def __init__(self, *, reveal: list[str] | None = None, **kw: Any) -> None:
        super().__init__(**kw)
        self.reveal = list(reveal) if reveal is not None else None

    @property
    def index_key(self) -> str:
        """The stored field that `filter`/`index` look up: the blind index, never the number."""
        return f"{self.name}Hash"
