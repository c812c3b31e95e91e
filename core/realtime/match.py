"""Evaluate a MongoDB filter against one document in memory.

Subscriptions reuse the filters the services build for queries (e.g.
`WorkOrderService.visible_filter()`), so a subscriber sees exactly what the same viewer's
query would return. Only the operators those filters use are supported; anything else
raises, so a new operator in a scope filter fails loudly in the tests instead of leaking.
"""

from __future__ import annotations

from typing import Any

_MISSING = object()


def _get(doc: Any, path: str) -> Any:
    value = doc
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return _MISSING
        value = value[part]
    return value


def _equals(value: Any, expected: Any) -> bool:
    if value is _MISSING:
        return expected is None
    if isinstance(value, list) and not isinstance(expected, list):
        return expected in value  # MongoDB: an array field matches any of its elements
    return value == expected


def _operator(value: Any, op: str, arg: Any) -> bool:
    if op == "$in":
        return any(_equals(value, a) for a in arg)
    if op == "$nin":
        return not any(_equals(value, a) for a in arg)
    if op == "$ne":
        return not _equals(value, arg)
    if op == "$eq":
        return _equals(value, arg)
    if op == "$exists":
        return (value is not _MISSING) == bool(arg)
    raise ValueError(f"operator {op} is not supported by the in-memory matcher")


def matches(flt: dict[str, Any], doc: dict[str, Any]) -> bool:
    """Whether `doc` satisfies `flt` (MongoDB semantics for the supported operators)."""
    for key, cond in flt.items():
        if key == "$and":
            if not all(matches(f, doc) for f in cond):
                return False
        elif key == "$or":
            if not any(matches(f, doc) for f in cond):
                return False
        elif key.startswith("$"):
            raise ValueError(f"operator {key} is not supported by the in-memory matcher")
        else:
            value = _get(doc, key)
            if isinstance(cond, dict) and cond and all(k.startswith("$") for k in cond):
                if not all(_operator(value, op, arg) for op, arg in cond.items()):
                    return False
            elif not _equals(value, cond):
                return False
    return True
