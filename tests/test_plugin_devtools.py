"""`community-plus plugin new` and `plugin check`: the scaffold installs and passes its own
tests; `check` catches each class of mistake, with file, line and a fix."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from community_plus.cli import main
from community_plus.devtools.check import check_plugin
from community_plus.devtools.scaffold import new_plugin

NAME = "cp_dev_board"  # the scaffolded module in these tests


def plugin_env(*paths: Path) -> dict[str, str]:
    """The environment of a plugin's own test run: the plugin installed under `paths` only."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "CP_"))}
    env["PYTHONPATH"] = os.pathsep.join(str(p) for p in paths)
    return env


def pip_install(target: Path, plugin: Path, editable: bool = True) -> None:
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target),
                    *(["-e"] if editable else []), str(plugin)], check=True, capture_output=True)


@pytest.fixture
def scaffold(tmp_path):
    """A fresh scaffolded plugin; edit its files to make mistakes."""
    root = new_plugin(NAME, tmp_path, title="开发公告板", validate=False)

    class Plugin:
        path = root
        init = root / NAME / "__init__.py"
        models = root / NAME / "models.py"
        pyproject = root / "pyproject.toml"

        @staticmethod
        def edit(path: Path, old: str, new: str) -> None:
            text = path.read_text()
            assert old in text, old
            path.write_text(text.replace(old, new, 1))

    return Plugin


def problems_of(report, check: str):
    return [p for p in report.problems if p.check == check]


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


# -- scaffold -------------------------------------------------------------------------------
def test_plugin_new_validates_the_name(tmp_path):
    runner = CliRunner()
    for bad, why in (("Notice-Board", "lower_snake_case"), ("json", "standard-library"), ("x", "lower_snake_case"),
                     ("test_notices", "already installed"), ("pytest", "already exists")):
        result = runner.invoke(main, ["plugin", "new", bad, "--dir", str(tmp_path)])
        assert result.exit_code == 1 and why in result.output, (bad, result.output)
    assert not any(tmp_path.iterdir())
    ok = runner.invoke(main, ["plugin", "new", NAME, "--dir", str(tmp_path), "--title", "开发公告板"])
    assert ok.exit_code == 0, ok.output
    assert f"pip install -e" in ok.output and (tmp_path / NAME / "pyproject.toml").exists()
    again = runner.invoke(main, ["plugin", "new", NAME, "--dir", str(tmp_path)])
    assert again.exit_code == 1 and "not empty" in again.output


def test_scaffold_installs_passes_its_tests_and_checks_clean(scaffold, tmp_path):
    files = sorted(str(p.relative_to(scaffold.path)) for p in scaffold.path.rglob("*") if p.is_file())
    assert files == [".gitignore", "README.md", f"{NAME}/__init__.py", f"{NAME}/models.py", "pyproject.toml",
                     "tests/conftest.py", f"tests/test_{NAME}.py"]
    result = CliRunner().invoke(main, ["plugin", "check", str(scaffold.path)])
    assert result.exit_code == 0 and "all good" in result.output, result.output
    site = tmp_path / "site"
    pip_install(site, scaffold.path)  # pip install -e, into a folder instead of the shared venv
    assert (site / f"community_plus_{NAME}-0.1.0.dist-info" / "entry_points.txt").read_text().count(NAME) == 2
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=scaffold.path,
                         env=plugin_env(site), capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "3 passed" in run.stdout


# -- check: each class of mistake ---------------------------------------------------------
def test_check_pyproject_without_entry_point_or_dependency(scaffold):
    scaffold.edit(scaffold.pyproject, 'dependencies = ["community-plus>=0.1.0"]', "dependencies = []")
    scaffold.edit(scaffold.pyproject, '[project.entry-points."community_plus.plugins"]', "[project.entry-points.other]")
    report = check_plugin(scaffold.path)
    messages = [p.message for p in problems_of(report, "pyproject")]
    assert any("do not include community-plus" in m for m in messages)
    assert any("no entry point in the 'community_plus.plugins' group" in m for m in messages)
    assert all(p.file == "pyproject.toml" and p.fix for p in report.problems)
    result = CliRunner().invoke(main, ["plugin", "check", str(scaffold.path)])
    assert result.exit_code == 1 and "fix:" in result.output and "2 errors" in result.output


def test_check_invalid_manifest(scaffold):
    scaffold.edit(scaffold.init, 'title="开发公告板"', 'title=""')
    scaffold.edit(scaffold.init, 'version="0.1.0"', 'version="first"')
    scaffold.edit(scaffold.init, f'Permission("{NAME}.entry.manage"', 'Permission("entry.manage"')
    report = check_plugin(scaffold.path)
    found = problems_of(report, "manifest")
    assert {("title is required" in p.message, "version 'first'" in p.message,
             "must start with" in p.message) for p in found} >= {(True, False, False), (False, True, False),
                                                                  (False, False, True)}
    assert {(p.file, p.line) for p in found} == {(f"{NAME}/__init__.py", line_of(scaffold.init, "module = Module("))}
    assert report.errors


def test_check_settings_schema(scaffold):
    scaffold.edit(scaffold.init, '"showOnDashboard": {"type": "boolean", "default": True',
                  '"showOnDashboard": {"type": "boolean", "default": "yes"}, "limit": {"type": "integr"')
    report = check_plugin(scaffold.path)
    [problem] = problems_of(report, "settings-schema")
    assert "not valid JSON Schema at properties/limit/type" in problem.message
    assert (problem.file, problem.line) == (f"{NAME}/__init__.py", line_of(scaffold.init, "settings_schema="))
    scaffold.edit(scaffold.init, ', "limit": {"type": "integr"', "")
    [bad_default] = problems_of(check_plugin(scaffold.path), "settings-schema")
    assert "default of setting 'showOnDashboard' is invalid" in bad_default.message
    assert bad_default.line == line_of(scaffold.init, '"showOnDashboard"')


def test_check_hooks_names_arguments_and_registration(scaffold):
    scaffold.edit(scaffold.init, "async def dashboard_statistics(ctx, community_id, since, until):",
                  "async def dashboard_statistic(ctx, community_id, since, until):")
    scaffold.edit(scaffold.init, "def register_models():", "def register_models(ctx):")
    scaffold.models.write_text(scaffold.models.read_text().replace(
        "from community_plus_sdk import Model, fields",
        "from community_plus_sdk import Model, fields, hookimpl\n\n\n@hookimpl\ndef on_event(ctx, event, payload):\n"
        "    pass"))
    report = check_plugin(scaffold.path)
    hooks = {p.message.split(" ")[0]: p for p in problems_of(report, "hooks")}
    assert "did you mean dashboard_statistics" in hooks["dashboard_statistic"].fix
    assert hooks["dashboard_statistic"].line == line_of(scaffold.init, "def dashboard_statistic(") - 1  # decorator
    assert "takes ctx, which the hook does not pass" in hooks["register_models()"].message
    unregistered = hooks["hook"]
    assert "on_event is never registered" in unregistered.message
    assert (unregistered.file, unregistered.line) == (f"{NAME}/models.py", line_of(scaffold.models, "def on_event"))


def test_check_collisions_with_core_and_installed_modules(scaffold):
    scaffold.edit(scaffold.models, f"class {NAME.title().replace('_', '')}Entry(Model):", "class Grid(Model):")
    scaffold.edit(scaffold.init, "from .models import CpDevBoardEntry", "from .models import Grid as CpDevBoardEntry")
    [core] = problems_of(check_plugin(scaffold.path), "collisions")
    assert "'Grid' collides with the core schema" in core.message
    assert (core.file, core.line) == (f"{NAME}/models.py", line_of(scaffold.models, "class Grid(Model):"))
    # test_notices (installed for this test session) already has a type Notice and a query `notices`
    scaffold.edit(scaffold.models, "class Grid(Model):", "class Notice(Model):")
    scaffold.edit(scaffold.init, "import Grid as", "import Notice as")
    [installed] = problems_of(check_plugin(scaffold.path), "collisions")
    assert "collides with another module" in installed.message and "'Notice'" in installed.message


def test_check_collections(scaffold):
    scaffold.edit(scaffold.models, 'collection = "entries"', f'collection = "{NAME}__entries"')
    scaffold.edit(scaffold.init, 'ctx.collection("entries")', 'ctx.collection("residents")')
    report = check_plugin(scaffold.path)
    bad_name, undeclared = problems_of(report, "collections")
    assert f"'{NAME}__entries'" in bad_name.message and "without '__'" in bad_name.message
    assert bad_name.file == f"{NAME}/models.py"
    assert "ctx.collection('residents') is not one of this module's collections" in undeclared.message
    assert undeclared.line == line_of(scaffold.init, 'ctx.collection("residents")')


def test_check_permissions_declared_and_used(scaffold):
    scaffold.edit(scaffold.models, f'"update": ["{NAME}.entry.manage"]', f'"update": ["{NAME}.entry.edit"]')
    scaffold.edit(scaffold.models, '"delete": ["community_admin"]', '"delete": ["admin"]')
    scaffold.edit(scaffold.init, "    if not (await ctx.settings())",
                  f'    ctx.require_permission("{NAME}.stats.read")\n    if not (await ctx.settings())')
    scaffold.edit(scaffold.init, "    permissions=[\n",
                  f'    permissions=[\n        Permission("{NAME}.entry.archive", "归档", roles=("community_admin",)),\n')
    report = check_plugin(scaffold.path)
    found = {p.message: p for p in problems_of(report, "permissions")}
    used = found[f"permission '{NAME}.stats.read' is used but not declared"]
    assert used.line == line_of(scaffold.init, "require_permission") and used.severity == "error"
    assert f"permission '{NAME}.entry.edit' is used but not declared" in found
    assert "'admin' is neither a role nor a permission name" in found
    unused = found[f"permission '{NAME}.entry.archive' is declared but never used"]
    assert unused.severity == "warning" and unused.line == line_of(scaffold.init, "entry.archive")


def test_check_core_imports(scaffold):
    scaffold.edit(scaffold.init, "from .models import",
                  "import pymongo\nfrom community_plus.repositories.base import new_id\nfrom .models import")
    report = check_plugin(scaffold.path)
    found = problems_of(report, "core-imports")
    assert [(p.line, "community_plus.repositories.base" in p.message or "pymongo" in p.message) for p in found] == \
        [(line_of(scaffold.init, "import pymongo"), True), (line_of(scaffold.init, "community_plus.repositories"), True)]
    assert "community_plus_sdk" in found[1].fix


def test_check_reports_import_errors_with_their_line(scaffold):
    scaffold.edit(scaffold.models, "    note = fields.Text(max_length=1000)", "    note = fields.Text(max_length=1000")
    report = check_plugin(scaffold.path)
    [problem] = problems_of(report, "load")
    assert "SyntaxError" in problem.message and problem.file == f"{NAME}/models.py"
    assert problem.line == line_of(scaffold.models, "note = fields.Text")
    result = CliRunner().invoke(main, ["plugin", "check", "--json", str(scaffold.path)])
    assert result.exit_code == 1 and '"check": "load"' in result.output
