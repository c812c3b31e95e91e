"""The layering is a packaging fact: import-linter's contracts (pyproject.toml
`[tool.importlinter]`) hold, they cover every built-in module, and the modules' tests —
which import-linter does not see, not being packages — import only the SDK and the harness."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["importlinter"]
ALLOWED_IN_PLUGINS = {"community_plus_sdk", "community_plus_harness"}


def _contract(contract_id: str) -> dict:
    return next(c for c in CONFIG["contracts"] if c["id"] == contract_id)


def _quoted(names: list[str]) -> str:
    return ", ".join(f'"{n}"' for n in names)


def _module_packages() -> set[str]:
    return {pkg.parent.name for pkg in ROOT.glob("plugins/*/*/__init__.py") if pkg.parent.name != "tests"}


def test_import_contracts_are_kept():
    lint = Path(sys.executable).with_name("lint-imports")
    run = subprocess.run([str(lint), "--no-cache", str(ROOT / "pyproject.toml")], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert f"Contracts: {len(CONFIG['contracts'])} kept, 0 broken." in run.stdout


def test_the_core_contracts_make_no_exception():
    """No import runs upwards or closes a circle, not even a listed one (the list is gone)."""
    for contract in ("core-layers", "core-acyclic"):
        assert not _contract(contract).get("ignore_imports"), contract


def test_contracts_cover_every_built_in_module():
    modules = _module_packages()
    assert modules >= {"elder_care", "meal_assist", "micro_charity"}
    assert set(_contract("modules-use-the-sdk")["source_modules"]) == modules
    assert modules <= set(CONFIG["root_packages"])
    assert "community_plus" in _contract("modules-use-the-sdk")["forbidden_modules"]
    assert "community_plus" in _contract("sdk-imports-no-server")["forbidden_modules"]


def _community_plus_imports(source: str) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.append(node.module)
    return [n for n in names if n.split(".")[0].startswith("community_plus") and n.split(".")[0] not in ALLOWED_IN_PLUGINS]


def test_module_tests_import_only_the_sdk_and_the_harness():
    files = sorted(ROOT.glob("plugins/*/tests/*.py"))
    assert len(files) >= 10
    offenders = {str(f.relative_to(ROOT)): bad for f in files if (bad := _community_plus_imports(f.read_text("utf-8")))}
    assert offenders == {}
    assert _community_plus_imports("from community_plus.modules.context import X\nimport community_plus_sandbox") == [
        "community_plus.modules.context", "community_plus_sandbox"]
    assert _community_plus_imports("from community_plus_harness import Community\nimport community_plus_sdk") == []


def test_a_module_importing_the_server_breaks_the_contract(tmp_path):
    """The modules' contract, applied to a module that reaches into the server, fails."""
    pkg = tmp_path / "cp_rogue_module"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("from community_plus.modules.context import ServerModuleContext\n", "utf-8")
    forbidden = _quoted(_contract("modules-use-the-sdk")["forbidden_modules"])
    (tmp_path / "contracts.toml").write_text(
        f'[tool.importlinter]\nroot_packages = ["cp_rogue_module", {_quoted(CONFIG["root_packages"])}]\n\n'
        f'[[tool.importlinter.contracts]]\nname = "rogue"\ntype = "forbidden"\n'
        f'source_modules = ["cp_rogue_module"]\nforbidden_modules = [{forbidden}]\n', "utf-8")
    lint = Path(sys.executable).with_name("lint-imports")
    run = subprocess.run([str(lint), "--no-cache", str(tmp_path / "contracts.toml")], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(tmp_path)})
    assert run.returncode == 1, run.stdout
    assert "cp_rogue_module -> community_plus.modules.context" in run.stdout and "1 broken" in run.stdout


def test_the_core_is_layered_and_acyclic():
    """The core's layers are declared bottom-up as the architecture names them (kept by
    `test_import_contracts_are_kept`); every package of `community_plus` is in a layer."""
    layers = _contract("core-layers")
    assert layers["type"] == "layers" and layers["containers"] == ["community_plus"] and layers["exhaustive"]
    order = [name.strip() for layer in layers["layers"] for name in layer.split(":")]
    for low, high in [("platform", "domains"), ("domains", "graphql"), ("graphql", "modules"), ("modules", "app"),
                      ("app", "cli"), ("keys", "domains"), ("integrations", "domains")]:
        assert order.index(high) < order.index(low), (low, high)  # import-linter lists the top layer first
    packages = {p.name for p in (ROOT / "core").iterdir() if (p / "__init__.py").exists() or p.suffix == ".py"}
    assert packages - {"__init__.py", "static"} == {n if (ROOT / "core" / n).is_dir() else n + ".py" for n in order}
    assert _contract("core-acyclic")["type"] == "acyclic_siblings"


MAX_LINES = 400


def _module_sizes() -> dict[str, int]:
    """Lines of every Python module of the core, the sandbox, the SDK and the built-in modules
    (their tests and build output aside)."""
    return {str(f.relative_to(ROOT)): len(f.read_text("utf-8").splitlines())
            for top in ("core", "sandbox", "sdk", "plugins") for f in (ROOT / top).rglob("*.py")
            if not {"tests", "build"} & set(f.relative_to(ROOT).parts) and ".egg-info" not in str(f)}


def test_no_module_over_400_lines():
    """One concept per module, a few hundred lines at most (issue #20 split the last ones)."""
    sizes = _module_sizes()
    assert {path.split("/")[0] for path in sizes} == {"core", "sandbox", "sdk", "plugins"}  # every tree is seen
    over = {path: n for path, n in sizes.items() if n > MAX_LINES}
    assert over == {}, f"split these along their concepts (or shorten them): {over}"


# Imports inside functions are for start-up time: the CLI's commands (`community-plus --help`
# must not load aiohttp, strawberry and the database driver) and the tools of `devtools/` run
# beside the server. Anywhere else an import goes at the top of its module: one inside a
# function hides a circle, which import-linter could not see. Optional dependencies loaded only
# when their feature is used are the exception.
LAZY_PACKAGES = ("core/cli/", "core/devtools/")
LAZY_DEPENDENCIES = {"openpyxl": "XLSX export, loaded on the first export",
                     "community_plus_sandbox": "the dev fake WeChat (a dev-only distribution)"}


def _function_level_imports() -> list[tuple[str, int, str]]:
    found = []
    for path in (ROOT / "core").rglob("*.py"):
        rel = str(path.relative_to(ROOT))
        for fn in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                found += [(rel, n.lineno, n.module if isinstance(n, ast.ImportFrom) else n.names[0].name)
                          for n in ast.walk(fn) if isinstance(n, (ast.Import, ast.ImportFrom))]
    return found


def test_imports_inside_functions_only_where_start_up_time_needs_them():
    found = _function_level_imports()
    assert any(rel.startswith(LAZY_PACKAGES) for rel, _, _ in found)  # the walk sees the CLI's lazy imports
    hidden = [f"{rel}:{line} imports {mod}" for rel, line, mod in found
              if not rel.startswith(LAZY_PACKAGES) and (mod or "").split(".")[0] not in LAZY_DEPENDENCIES]
    assert hidden == [], "move these imports to the top of their modules (a circle? import-linter names it)"
