"""Resident tags (重点人群) as the GraphQL enum `ResidentTag` spells them, with Chinese labels,
for settings schemas: ``{"type": "array", "items": tag_schema()}`` renders as a picker.

Example::

    "eligibleTags": {"type": "array", "items": tag_schema(), "title": "适用标签"}
"""

from __future__ import annotations

from typing import Any

RESIDENT_TAGS: dict[str, str] = {
    "ELDERLY": "老年人", "CHILD": "儿童", "DISABLED": "残疾人", "LOW_INCOME": "低收入", "LEFT_BEHIND": "留守人员",
    "VETERAN": "退役军人", "NEW_CITIZEN": "新市民", "LIVING_ALONE": "独居", "SPECIAL_CARE": "特殊关爱",
}


def tag_schema() -> dict[str, Any]:
    """A JSON Schema for one tag: an enum with `x-enumLabels` (the console's picker labels).
    The stored spelling (`low_income`) is accepted too; the console offers each tag once and
    saves the enum's spelling."""
    return {"type": "string", "enum": [*RESIDENT_TAGS, *(t.lower() for t in RESIDENT_TAGS)],
            "x-enumLabels": list(RESIDENT_TAGS.values())}
