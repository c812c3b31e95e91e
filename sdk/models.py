"""The declarative model API: declare fields, permissions and ownership; Community+ generates
the GraphQL type, a filtered Relay-paginated list query, a by-id query and create/update/delete
mutations — with validation, community scoping and audit — without resolvers.

Example::

    class Notice(Model):
        \"\"\"社区公告\"\"\"

        class Meta:
            collection = "notices"            # stored as <module>__notices
            permissions = {"read": ["resident", "grid_worker", "community_admin"],
                           "create": ["notice_board.notice.publish"],
                           "update": ["notice_board.notice.publish"],
                           "delete": ["community_admin"]}

        title = fields.String(required=True, max_length=100, filter=True)
        body = fields.Text()
        pinned = fields.Boolean(default=False, filter=True)

This yields `type Notice`, `notices(filter: NoticeFilter, first, after): NoticeConnection!`,
`notice(id: ID!): Notice`, `createNotice(input)`, `updateNotice(id, input, version)` and
`deleteNotice(id)`. Permission entries are role names or permission names (with a dot).
With `owned_by_resident = True` rows belong to the resident who created them: residents see
and change only their own, staff see all rows of their community.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from .errors import FieldErrors
from .fields import Field, Invalid, Ref

ACTIONS = ("read", "create", "update", "delete")


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()



def _lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


class ModelMeta:
    """Defaults for a model's `Meta`."""

    name: str | None = None
    collection: str | None = None
    plural: str | None = None
    permissions: dict[str, list[str]] = {a: ["community_admin"] for a in ACTIONS}
    owned_by_resident = False
    indexes: list[list[tuple[str, int]]] = []
    description: str | None = None
    operations: tuple[str, ...] = ("list", "get", *ACTIONS[1:])
    """The generated operations: `list`, `get`, `create`, `update`, `delete` (drop one to opt out,
    e.g. `("list", "get", "create")` for rows nobody may change)."""


RESERVED = {"id", "community_id", "resident_id", "version", "created_at", "updated_at", "created_by", "meta",
            "type_name", "collection_name", "single_field", "list_field", "type_description", "allowed", "clean", "before_save",
            "after_save", "references", "clean_filter", "Meta"}
"""Names a field may not have: the generated row fields, `Model`'s own methods and `Meta`
(and any name starting with `_`). Listed in the plugin guide."""


class Model:
    """Base class of declarative models (see the module docstring)."""

    __fields__: ClassVar[dict[str, Field]] = {}
    Meta: ClassVar[type] = ModelMeta

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        declared: dict[str, Field] = {}
        for base in reversed(cls.__mro__[1:]):
            declared.update(getattr(base, "__fields__", {}))
        for key, value in list(vars(cls).items()):
            if isinstance(value, Field):
                if key in RESERVED or key.startswith("_"):
                    raise TypeError(f"{cls.__name__}.{key}: the field name {key!r} is reserved by Model "
                                    f"(reserved: {', '.join(sorted(RESERVED))}); rename the field")
                value.name = key
                declared[key] = value
        for key, value in declared.items():
            if isinstance(value, Ref):
                if not key.endswith("_id") or key == "_id":
                    raise TypeError(f"{cls.__name__}.{key}: a reference field's name ends in _id (e.g. "
                                    f"{key}_id); the referenced row is shown as {key}")
                obj = value.object_name
                if obj in declared or obj in RESERVED or not obj:
                    raise TypeError(f"{cls.__name__}.{key}: the referenced row would be shown as {obj!r}, which "
                                    "is another field or reserved: give Ref(..., object_name=...)")
        cls.__fields__ = declared

    # -- names ----------------------------------------------------------------------------
    @classmethod
    def meta(cls, key: str) -> Any:
        return getattr(cls.Meta, key, getattr(ModelMeta, key))

    @classmethod
    def type_name(cls) -> str:
        return cls.meta("name") or cls.__name__

    @classmethod
    def collection_name(cls) -> str:
        return cls.meta("collection") or _plural(_snake(cls.__name__))

    @classmethod
    def single_field(cls) -> str:
        return _lower_first(cls.type_name())

    @classmethod
    def list_field(cls) -> str:
        return cls.meta("plural") or _plural(_lower_first(cls.type_name()))

    @classmethod
    def type_description(cls) -> str | None:
        """The GraphQL type's description (`Meta.description`, else the docstring); a field
        may be called `description`."""
        return cls.meta("description") or (cls.__doc__ or "").strip() or None

    @classmethod
    def allowed(cls, action: str) -> list[str]:
        perms = cls.meta("permissions")
        return list(perms.get(action, ModelMeta.permissions[action]))

    @classmethod
    def references(cls) -> dict[str, Ref]:
        """The model's `fields.Ref` fields by Python name."""
        return {n: f for n, f in cls.__fields__.items() if isinstance(f, Ref)}

    # -- validation and hooks -------------------------------------------------------------
    @classmethod
    def before_save(cls, values: dict[str, Any], current: dict[str, Any] | None, problems: FieldErrors) -> Any:
        """Called with the cleaned input (`values`, Python field names) before a create
        (`current` None) or an update (`current` the stored row), once every field passed its
        own checks: check fields against each other — `problems.add("endsOn", "…")` names
        `input.endsOn` (`problems["input.endsOn"] = "…"` works too) — and set read-only or
        computed fields in `values`. Every problem is answered in one BAD_USER_INPUT. May be
        `async`. Default: nothing."""

    @classmethod
    async def after_save(cls, ctx: Any, row: dict[str, Any], previous: dict[str, Any] | None) -> None:
        """Called after a create (`previous` None) or an update (`previous` the row before),
        inside the save's transaction: `ctx` is the transaction's `ModuleContext`, so rows it
        writes, `ctx.notify` and `ctx.publish` commit together with the save, and raising
        (e.g. `FieldErrors.raise_if_any()`, a `ConflictError`) undoes the save. It may run more
        than once when the transaction is retried: no side effects outside `ctx`. Default:
        nothing."""

    @classmethod
    def clean(cls, data: dict[str, Any], *, creating: bool, path: str = "input") -> tuple[dict[str, Any], dict[str, str]]:
        """Validated values and a map of field path → problem."""
        out: dict[str, Any] = {}
        problems: dict[str, str] = {}
        for name, field in cls.__fields__.items():
            if field.read_only:  # computed by hooks; starts at its default
                if creating and field.default is not None:
                    out[name] = list(field.default) if isinstance(field.default, list) else field.default
                continue
            if name in data and data[name] is not None:
                try:
                    out[name] = field.clean(data[name])
                except Invalid as exc:
                    problems[f"{path}.{camel(name)}"] = str(exc)
            elif creating:
                if field.required:
                    problems[f"{path}.{camel(name)}"] = "必填 (required)"
                elif field.default is not None:
                    out[name] = list(field.default) if isinstance(field.default, list) else field.default
        return out, problems


    @classmethod
    def clean_filter(cls, data: dict[str, Any], path: str = "filter") -> tuple[dict[str, Any], dict[str, str]]:
        """Filter arguments as stored values (keys that are not fields pass unchanged), and a
        map of field path → problem."""
        out: dict[str, Any] = {}
        problems: dict[str, str] = {}
        for name, value in data.items():
            field = cls.__fields__.get(name)
            if field is None or value is None:
                out[name] = value
                continue
            try:
                out[name] = field.filter_value(value)
            except Invalid as exc:
                problems[f"{path}.{camel(name)}"] = str(exc)
        return out, problems


def _plural(word: str) -> str:
    """English plural for generated field names (override with `Meta.plural`)."""
    if word.endswith(("s", "x", "z", "ch", "sh")):
        return word + "es"
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


def camel(name: str) -> str:
    """The GraphQL name of a Python field name (`price_fen` → `priceFen`)."""
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)
