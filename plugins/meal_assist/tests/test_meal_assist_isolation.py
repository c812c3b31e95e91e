"""The module depends on the SDK only: no file of the package imports `community_plus`
(other than `community_plus_sdk`), and its manifest and settings schema are valid."""

from __future__ import annotations

import ast
from pathlib import Path

from jsonschema import Draft202012Validator

import meal_assist
from meal_assist.manifest import module

PACKAGE = Path(meal_assist.__file__).parent


def _forbidden_imports(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) in (
                "import_module", "__import__") and node.args and isinstance(node.args[0], ast.Constant):
            names = [str(node.args[0].value)]
        for name in names:
            root = name.split(".")[0]
            if root.startswith("community_plus") and root != "community_plus_sdk":
                found.append(name)
    return found


def test_package_imports_only_the_sdk():
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) >= 10
    offenders = {str(f.relative_to(PACKAGE)): bad for f in files if (bad := _forbidden_imports(f.read_text()))}
    assert offenders == {}


def test_the_checker_catches_core_imports():
    assert _forbidden_imports("import community_plus.app") == ["community_plus.app"]
    assert _forbidden_imports("from community_plus.plugins import context") == ["community_plus.plugins"]
    assert _forbidden_imports("import importlib\nimportlib.import_module('community_plus')") == ["community_plus"]
    assert _forbidden_imports("from community_plus_sdk import Model\nfrom . import rules") == []


def test_manifest_and_settings_defaults_are_valid():
    assert module.problems() == []
    Draft202012Validator.check_schema(module.settings_schema)
    defaults = module.default_settings()
    assert list(Draft202012Validator(module.settings_schema).iter_errors(defaults)) == []
    assert set(module.settings_schema["properties"]) == set(defaults)  # every setting has a default
    bad = {**defaults, "cutoffs": {"lunch": {"daysBefore": 0, "time": "25:00"}}, "monthlyBudgetFen": -1}
    assert len(list(Draft202012Validator(module.settings_schema).iter_errors(bad))) == 2
