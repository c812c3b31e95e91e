"""`community-plus plugin new` and `plugin check`: the scaffold installs and passes its own
tests; `check` catches each class of mistake, with file, line and a fix."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from community_plus.cli import main
from community_plus.devtools.check import check_plugin
from community_plus.devtools.scaffold import new_plugin
from community_plus.platform.testing import free_port

NAME = "cp_dev_board"  # the scaffolded module in these tests


def plugin_env(*paths: Path) -> dict[str, str]:
    """The environment of a plugin's own test run: the plugin installed under `paths` only."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "CP_"))}
    env["PYTHONPATH"] = os.pathsep.join(str(p) for p in paths)
    return env


def pip_install(target: Path, plugin: Path, editable: bool = True) -> None:
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target),
                    *(["-e"] if editable else []), str(plugin)], check=True, capture_output=True)


class Plugin:
    """A scaffolded plugin folder; `edit` makes a mistake in one of its files."""

    def __init__(self, root: Path) -> None:
        self.path = root
        self.init = root / NAME / "__init__.py"
        self.models = root / NAME / "models.py"
        self.pyproject = root / "pyproject.toml"

    @staticmethod
    def edit(path: Path, old: str, new: str) -> None:
        text = path.read_text()
        assert old in text, old
        path.write_text(text.replace(old, new, 1))


def make_plugin(folder: Path) -> Plugin:
    return Plugin(new_plugin(NAME, folder, title="开发公告板", validate=False))


@pytest.fixture
def scaffold(tmp_path) -> Plugin:
    return make_plugin(tmp_path)


@pytest.fixture(scope="module")
def many_mistakes(tmp_path_factory):
    """One plugin with mistakes of several classes that do not hide each other (one check run,
    since each run imports the plugin in a child process); each test below looks at one class."""
    p = make_plugin(tmp_path_factory.mktemp("mistakes"))
    # settings-schema: an unknown type
    p.edit(p.init, '"showOnDashboard": {', '"limit": {"type": "integr"},\n            "showOnDashboard": {')
    # hooks: a misspelled hook, an argument the hook does not pass, an implementation nobody registers
    p.edit(p.init, "async def dashboard_statistics(ctx, community_id, since, until):",
           "async def dashboard_statistic(ctx, community_id, since, until):")
    p.edit(p.init, "@hookimpl\ndef register_models():",
           "@hookimpl\ndef module_enabled(ctx, community):\n    pass\n\n\n@hookimpl\ndef register_models():")
    p.edit(p.models, "from community_plus_sdk import Model, fields",
           "from community_plus_sdk import Model, fields, hookimpl\n\n\n@hookimpl\ndef on_event(ctx, event, payload):\n"
           "    pass")
    # collisions: a model whose type name is the core's Grid
    p.edit(p.models, "class CpDevBoardEntry(Model):", "class Grid(Model):")
    p.edit(p.init, "from .models import CpDevBoardEntry", "from .models import Grid as CpDevBoardEntry")
    # collections: a pre-namespaced name, a collection the module does not own
    p.edit(p.models, 'collection = "entries"', f'collection = "{NAME}__entries"')
    p.edit(p.init, 'ctx.collection("entries")', 'ctx.collection("residents")')
    # permissions: used but undeclared (in code and in Meta), an unknown role, declared but unused
    p.edit(p.models, f'"update": ["{NAME}.entry.manage"]', f'"update": ["{NAME}.entry.edit"]')
    p.edit(p.models, '"delete": ["community_admin"]', '"delete": ["admin"]')
    p.edit(p.init, "    if not (await ctx.settings())",
           f'    ctx.require_permission("{NAME}.stats.read")\n    if not (await ctx.settings())')
    p.edit(p.init, "    permissions=[\n",
           f'    permissions=[\n        Permission("{NAME}.entry.archive", "归档", roles=("community_admin",)),\n')
    # core-imports: the server's internals and the driver
    p.edit(p.init, "from .models import",
           "import pymongo\nfrom community_plus.platform.repository import new_id\nfrom .models import")
    return p, check_plugin(p.path)


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
    scaffold.edit(scaffold.pyproject, 'dependencies = ["community-plus-sdk>=1,<2"]', "dependencies = []")
    scaffold.edit(scaffold.pyproject, '[project.entry-points."community_plus_sdk.plugins.v1"]', "[project.entry-points.other]")
    report = check_plugin(scaffold.path)
    messages = [p.message for p in problems_of(report, "pyproject")]
    assert any("do not include community-plus-sdk" in m for m in messages)
    assert any("no entry point in the 'community_plus_sdk.plugins.v1' group" in m for m in messages)
    assert all(p.file == "pyproject.toml" and p.fix for p in report.problems)
    result = CliRunner().invoke(main, ["plugin", "check", str(scaffold.path)])
    assert result.exit_code == 1 and "fix:" in result.output and "2 errors" in result.output


def test_check_invalid_manifest_and_bad_setting_default(scaffold):
    scaffold.edit(scaffold.init, 'title="开发公告板"', 'title=""')
    scaffold.edit(scaffold.init, 'version="0.1.0"', 'version="first"')
    scaffold.edit(scaffold.init, f'Permission("{NAME}.entry.manage"', 'Permission("entry.manage"')
    scaffold.edit(scaffold.init, '"default": True', '"default": "yes"')
    report = check_plugin(scaffold.path)
    found = problems_of(report, "manifest")
    assert ["title is required" in found[0].message, "version 'first'" in found[1].message,
            "'entry.manage' must start with 'cp_dev_board.'" in found[2].message] == [True, True, True]
    assert {(p.file, p.line) for p in found} == {(f"{NAME}/__init__.py", line_of(scaffold.init, "module = Module("))}
    [bad_default] = problems_of(report, "settings-schema")
    assert "default of setting 'showOnDashboard' is invalid: 'yes' is not of type 'boolean'" in bad_default.message
    assert bad_default.line == line_of(scaffold.init, '"showOnDashboard"')


def test_check_settings_schema(many_mistakes):
    plugin, report = many_mistakes
    [problem] = problems_of(report, "settings-schema")
    assert "not valid JSON Schema at properties/limit/type" in problem.message
    assert (problem.file, problem.line) == (f"{NAME}/__init__.py", line_of(plugin.init, "settings_schema="))


def test_check_hooks_names_arguments_and_registration(many_mistakes):
    plugin, report = many_mistakes
    hooks = {p.message.split(" ")[0]: p for p in problems_of(report, "hooks")}
    assert "dashboard_statistic is not a Community+ hook" in hooks["dashboard_statistic"].message
    assert "did you mean dashboard_statistics" in hooks["dashboard_statistic"].fix
    assert hooks["dashboard_statistic"].line == line_of(plugin.init, "def dashboard_statistic(") - 1  # @hookimpl
    wrong_argument = hooks["module_enabled()"]
    assert "takes community, which the hook does not pass (it passes: ctx, community_id)" in wrong_argument.message
    assert wrong_argument.line == line_of(plugin.init, "def module_enabled") - 1
    unregistered = hooks["hook"]
    assert "on_event is never registered" in unregistered.message
    assert (unregistered.file, unregistered.line) == (f"{NAME}/models.py", line_of(plugin.models, "def on_event"))


def test_check_collision_with_the_core(many_mistakes):
    plugin, report = many_mistakes
    [core] = problems_of(report, "collisions")
    assert "'Grid' collides with the core schema" in core.message and "rename" in core.fix
    assert (core.file, core.line) == (f"{NAME}/models.py", line_of(plugin.models, "class Grid(Model):"))


def test_check_collision_with_an_installed_module(scaffold):
    # test_notices (installed for this test session) already has a type Notice and a query `notices`
    scaffold.edit(scaffold.models, "class CpDevBoardEntry(Model):", "class Notice(Model):")
    scaffold.edit(scaffold.init, "from .models import CpDevBoardEntry", "from .models import Notice as CpDevBoardEntry")
    [installed] = problems_of(check_plugin(scaffold.path), "collisions")
    assert "'Notice' collides with another module" in installed.message
    assert installed.line == line_of(scaffold.models, "class Notice(Model):")


def test_check_collections(many_mistakes):
    plugin, report = many_mistakes
    bad_name, undeclared = problems_of(report, "collections")
    assert f"'{NAME}__entries'" in bad_name.message and "without '__'" in bad_name.message
    assert (bad_name.file, bad_name.line) == (f"{NAME}/models.py", line_of(plugin.models, "class Grid(Model):"))
    assert "ctx.collection('residents') is not one of this module's collections" in undeclared.message
    assert undeclared.line == line_of(plugin.init, 'ctx.collection("residents")')


def test_check_permissions_declared_and_used(many_mistakes):
    plugin, report = many_mistakes
    found = {p.message: p for p in problems_of(report, "permissions")}
    used = found[f"permission '{NAME}.stats.read' is used but not declared"]
    assert used.line == line_of(plugin.init, "require_permission") and used.severity == "error"
    assert 'Permission("cp_dev_board.stats.read"' in used.fix
    meta = found[f"permission '{NAME}.entry.edit' is used but not declared"]
    assert (meta.file, meta.line) == (f"{NAME}/models.py", line_of(plugin.models, "entry.edit"))
    assert found["'admin' is neither a role nor a permission name"].line == line_of(plugin.models, '["admin"]')
    unused = found[f"permission '{NAME}.entry.archive' is declared but never used"]
    assert unused.severity == "warning" and unused.line == line_of(plugin.init, "entry.archive")


def test_check_core_imports(many_mistakes):
    plugin, report = many_mistakes
    found = problems_of(report, "core-imports")
    assert [(p.file, p.line) for p in found] == [(f"{NAME}/__init__.py", line_of(plugin.init, "import pymongo")),
                                                 (f"{NAME}/__init__.py", line_of(plugin.init, "community_plus.platform.repository"))]
    assert "never talk to MongoDB directly" in found[0].message
    assert "community_plus.platform.repository, an internal" in found[1].message
    assert "community_plus_sdk" in found[1].fix


def test_check_cli_prints_every_problem_with_its_fix(many_mistakes):
    plugin, report = many_mistakes
    result = CliRunner().invoke(main, ["plugin", "check", str(plugin.path)])
    assert result.exit_code == 1
    assert result.output.count("fix:") == len(report.problems) >= 10
    assert f"{NAME}/models.py:{line_of(plugin.models, 'def on_event')}" in result.output
    assert f"{len(report.errors)} errors, {len(report.warnings)} warning" in result.output


def test_check_reports_import_errors_with_their_line(scaffold):
    scaffold.edit(scaffold.models, "    note = fields.Text(max_length=1000)", "    note = fields.Text(max_length=1000")
    report = check_plugin(scaffold.path)
    [problem] = problems_of(report, "load")
    assert "SyntaxError" in problem.message and problem.file == f"{NAME}/models.py"
    assert problem.line == line_of(scaffold.models, "note = fields.Text")
    result = CliRunner().invoke(main, ["plugin", "check", "--json", str(scaffold.path)])
    assert result.exit_code == 1 and '"check": "load"' in result.output


# -- sandbox ----------------------------------------------------------------------------------
def _post(port: int, query: str, token: str | None = None) -> dict:
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    req = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", json.dumps({"query": query}).encode(), headers)
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())


class Output:
    """A child's merged output, read by a thread so that the child never blocks on a full pipe."""

    def __init__(self, proc: subprocess.Popen) -> None:
        self.lines: list[str] = []
        self.thread = threading.Thread(target=lambda: self.lines.extend(iter(proc.stdout.readline, "")), daemon=True)
        self.thread.start()

    @property
    def text(self) -> str:
        return "".join(self.lines)

    def wait_for(self, needle: str, proc: subprocess.Popen, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while needle not in self.text:
            assert proc.poll() is None, self.text[-4000:]
            assert time.monotonic() < deadline, f"no {needle!r} within {timeout}s:\n{self.text[-4000:]}"
            time.sleep(0.1)


def test_sandbox_serves_the_plugin_and_reloads_it_on_change(scaffold, tmp_path, db_uri):
    port, wechat_port = free_port(), free_port()
    env = {**plugin_env(), "MONGODB_URI": db_uri}
    proc = subprocess.Popen([sys.executable, "-P", "-m", "community_plus.cli", "sandbox", str(scaffold.path),
                             "--port", str(port), "--wechat-port", str(wechat_port), "--data-dir", str(tmp_path / "data"),
                             "--target", str(tmp_path / "site"), "--communities", "2", "--residents-per-community", "10"],
                            cwd=tmp_path, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    out = Output(proc)
    try:
        out.wait_for("sandbox ready", proc, 180)
        assert f"http://127.0.0.1:{port}/sandbox" in out.text and "password community-plus" in out.text
        # the demo resident logs in through the fake WeChat and is bound to a resident record
        code = "user:resident:before-reload"
        wx = _post(port, 'mutation { loginWithWechat(code: "%s") { viewer { role residentId communityId } } }' % code)
        viewer = wx["data"]["loginWithWechat"]["viewer"]
        assert viewer["role"] == "RESIDENT" and viewer["residentId"] and viewer["communityId"] == "320102001001"
        login = 'mutation { loginWithPassword(username: "admin001", password: "community-plus") { accessToken } }'
        token = _post(port, login)["data"]["loginWithPassword"]["accessToken"]
        created = _post(port, 'mutation { createCpDevBoardEntry(input: {title: "改之前"}) { id } }', token)
        assert not created.get("errors"), created
        page = urllib.request.urlopen(f"http://127.0.0.1:{port}/sandbox", timeout=10).read().decode()
        assert "loginWithWechat" in page and "createCpDevBoardEntry(input: {title: &quot;示例&quot;})" in page
        assert "enabled in 长江社区" in page

        Plugin.edit(scaffold.models, "    note = fields.Text(max_length=1000)",
                    "    note = fields.Text(max_length=1000)\n    priority = fields.Integer(default=0, filter=True)")
        changed = time.monotonic()
        query = "{ cpDevBoardEntries { totalCount edges { node { title priority } } } }"
        while True:
            try:
                answer = _post(port, query, token)
                if not answer.get("errors"):
                    break
                assert "priority" in answer["errors"][0]["message"], answer
            except OSError:
                pass  # between the old server and the new one
            assert time.monotonic() - changed < 90, out.text[-4000:]
            time.sleep(0.3)
        # the new field is served; the database kept its rows and the fake WeChat its state
        assert answer["data"]["cpDevBoardEntries"] == {"totalCount": 1, "edges": [
            {"node": {"title": "改之前", "priority": None}}]}
        reused = _post(port, 'mutation { loginWithWechat(code: "%s") { accessToken } }' % code)
        assert reused["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"  # the code was used before the reload
        out.wait_for("reloaded", proc, 30)
        assert "changed: cp_dev_board/models.py" in out.text
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(60)
    out.thread.join(5)
    assert proc.returncode == 0, out.text[-3000:]
    assert "sandbox stopped" in out.text
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0, "the server process outlived the sandbox"
