"""The module depends on the SDK only: no file of the package imports `community_plus`."""

from __future__ import annotations

import ast
from pathlib import Path

import elder_care

PACKAGE = Path(elder_care.__file__).parent


def forbidden_imports(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found += [n for n in names if n.split(".")[0] == "community_plus"]
    return found


def test_package_imports_only_the_sdk():
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) > 10
    offenders = {str(f.relative_to(PACKAGE)): bad for f in files if (bad := forbidden_imports(f.read_text("utf-8")))}
    assert offenders == {}


def test_the_check_catches_core_imports():
    assert forbidden_imports("import community_plus.app\nfrom community_plus.errors import Conflict") == [
        "community_plus.app", "community_plus.errors"]
    assert forbidden_imports("from community_plus_sdk import Model\nimport community_plus_sdk.fields") == []
