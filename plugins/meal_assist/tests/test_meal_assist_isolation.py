"""The module's manifest and settings schema are valid (that it imports the SDK only is an
import-linter contract of the repository, tests/unit/test_import_contracts.py)."""

from __future__ import annotations

from jsonschema import Draft202012Validator

from meal_assist.manifest import module


def test_manifest_and_settings_defaults_are_valid():
    assert module.problems() == []
    Draft202012Validator.check_schema(module.settings_schema)
    defaults = module.default_settings()
    assert list(Draft202012Validator(module.settings_schema).iter_errors(defaults)) == []
    assert set(module.settings_schema["properties"]) == set(defaults)  # every setting has a default
    bad = {**defaults, "cutoffs": {"lunch": {"daysBefore": 0, "time": "25:00"}}, "monthlyBudgetFen": -1}
    assert len(list(Draft202012Validator(module.settings_schema).iter_errors(bad))) == 2
