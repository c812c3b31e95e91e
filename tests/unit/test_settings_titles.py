"""`plugin check` warns about settings without a Chinese title; the built-in modules have them all."""

from __future__ import annotations

from pathlib import Path

import pytest

from community_plus.devtools.check import check_plugin
from community_plus.devtools.manifest_checks import _untitled
from community_plus_sdk import RESIDENT_TAGS, tag_schema

PLUGINS = Path(__file__).resolve().parents[2] / "plugins"


def test_untitled_settings_are_found_at_any_depth():
    props = {
        "minAge": {"type": "integer"},
        "budget": {"type": "number", "title": "每月预算"},
        "rules": {"type": "array", "title": "规则", "items": {"type": "object", "properties": {
            "hoursPerMonth": {"type": "number", "title": "hours per month"}, "name": {"title": "名称"}}}},
        "cutoff": {"type": "object", "title": "截止", "properties": {"time": {"type": "string"}}},
    }
    assert _untitled(props) == ["minAge", "rules[].hoursPerMonth", "cutoff.time"]


@pytest.mark.parametrize("name", ["elder_care", "meal_assist", "micro_charity"])
def test_built_in_modules_title_every_setting(name):
    report = check_plugin(PLUGINS / name)
    assert not report.errors
    assert [p.message for p in report.warnings if "title" in p.message] == []


def test_tag_schema_lists_every_resident_tag():
    from community_plus.graphql.domains.types import ResidentTag

    assert list(RESIDENT_TAGS) == [t.name for t in ResidentTag]
    schema = tag_schema()
    assert len(schema["x-enumLabels"]) == len(RESIDENT_TAGS) and "low_income" in schema["enum"]
