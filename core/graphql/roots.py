"""Explain "Cannot query field 'x' on type 'Mutation'": the real cause, for a mini-program
developer who cannot see the server's schema.

- `x` is a field of another root type here (a query sent as a mutation, or the reverse):
  GRAPHQL_VALIDATION_FAILED saying so;
- `x` belongs to a module this community has not enabled, on that same root type:
  MODULE_DISABLED naming the module;
- `x` belongs to a module, but on another root type: GRAPHQL_VALIDATION_FAILED saying which
  (and that the module is not enabled here, when it is not);
- otherwise graphql-core's message stands (it already suggests close names).
"""

from __future__ import annotations

import re
from typing import Any
from strawberry.schema.name_converter import NameConverter

_UNKNOWN_ROOT_FIELD = re.compile(r"^Cannot query field '(\w+)' on type '(Query|Mutation|Subscription)'")
_KIND = {"Query": ("查询", "query"), "Mutation": ("变更", "mutation"), "Subscription": ("订阅", "subscription")}


def _names(cls: type) -> set[str]:

    definition = getattr(cls, "__strawberry_definition__", None)
    if definition is None:
        return set()
    conv = NameConverter()
    return {conv.get_graphql_name(f) for f in definition.fields}


def _module_roots(registry: Any) -> dict[str, tuple[str, str]]:
    """Root field name → (module, root type) over every loaded module (only on this error path)."""
    out: dict[str, tuple[str, str]] = {}
    for module in registry.modules.values():
        queries, mutations, subscriptions, _ = module.graphql_parts()
        for root, classes in (("Query", queries), ("Mutation", mutations), ("Subscription", subscriptions)):
            for cls in classes:
                for name in _names(cls):
                    out[name] = (module.name, root)
    return out


def _schema_root(schema: Any, field: str) -> str | None:
    graphql_schema = getattr(schema, "_schema", None)
    for root in ("Query", "Mutation", "Subscription"):
        type_ = graphql_schema.get_type(root) if graphql_schema is not None else None
        if type_ is not None and field in type_.fields:
            return root
    return None


def explain_unknown_root_field(formatted: dict[str, Any], registry: Any, schema: Any,
                               module_set: frozenset[str]) -> None:
    """Rewrite `formatted` (a validation error) in place when the cause is clear."""
    match = _UNKNOWN_ROOT_FIELD.match(formatted.get("message", ""))
    if not match:
        return
    field, sent_as = match.groups()
    here = _schema_root(schema, field)
    if here is not None and here != sent_as:
        zh, en = _KIND[here]
        formatted["message"] = (f"{field} 是{zh}字段，请放在 {en} 操作中 (field '{field}' is a {en} field, not a "
                                f"{_KIND[sent_as][1]} field: send it in a `{en}` operation)")
        formatted["extensions"] = {"code": "GRAPHQL_VALIDATION_FAILED", "field": field, "rootType": here}
        return
    owner = _module_roots(registry).get(field) if registry is not None else None
    if owner is None:
        return
    module, root = owner
    enabled = module in module_set
    if root == sent_as and not enabled:
        formatted["message"] = (f"模块 {module} 未在本社区启用 (module {module} is not enabled in this community; "
                                f"field '{field}')")
        formatted["extensions"] = {"code": "MODULE_DISABLED", "module": module}
    elif root != sent_as:
        zh, en = _KIND[root]
        note = "" if enabled else f"; module {module} is not enabled in this community"
        formatted["message"] = (f"{field} 是模块 {module} 的{zh}字段 (field '{field}' of module {module} is a {en} "
                                f"field, not a {_KIND[sent_as][1]} field: send it in a `{en}` operation{note})")
        formatted["extensions"] = {"code": "GRAPHQL_VALIDATION_FAILED", "field": field, "rootType": root,
                                   "module": module}
