"""The module uses the SDK only: no file of the package imports Community+ internals."""

from __future__ import annotations

import ast
from pathlib import Path

import micro_charity

PACKAGE = Path(micro_charity.__file__).parent


def _imports(tree: ast.AST) -> list[str]:
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


def _forbidden(name: str) -> bool:
    top = name.split(".")[0]
    return top.startswith("community_plus") and top != "community_plus_sdk"


def test_package_imports_only_the_sdk():
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) >= 8
    bad = {str(f.relative_to(PACKAGE)): n for f in files for n in _imports(ast.parse(f.read_text("utf-8")))
           if _forbidden(n)}
    assert bad == {}
    assert any("community_plus_sdk" in _imports(ast.parse(f.read_text("utf-8"))) for f in files)


def test_the_check_itself_catches_core_imports():
    for source in ("import community_plus", "from community_plus.errors import Conflict",
                   "import community_plus.plugins.context as c", "from community_plus import app"):
        assert any(_forbidden(n) for n in _imports(ast.parse(source))), source
    for source in ("from community_plus_sdk import Model", "import community_plus_sdk.fields"):
        assert not any(_forbidden(n) for n in _imports(ast.parse(source))), source
