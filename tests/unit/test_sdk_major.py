"""A plugin declares the SDK major it targets by its entry-point group
(`community_plus_sdk.plugins.v1`); one built for another major is refused at load with a clear
message — reported and skipped, the other modules still load — and `plugins list` and
`plugin check` say why."""

from __future__ import annotations

from importlib.metadata import EntryPoint
from pathlib import Path

from click.testing import CliRunner

from community_plus.cli import main
from community_plus.devtools.check import check_plugin
from community_plus.devtools.scaffold import new_plugin
from community_plus.modules.registry import GROUP, PluginRegistry
from community_plus_sdk.version import ENTRY_POINT_GROUP, SDK_MAJOR, __version__, group_major

ROOT = Path(__file__).resolve().parents[2]


def test_the_group_names_the_sdk_major():
    assert GROUP == ENTRY_POINT_GROUP == f"community_plus_sdk.plugins.v{SDK_MAJOR}" and SDK_MAJOR == 1
    assert [group_major(g) for g in ("community_plus_sdk.plugins.v1", "community_plus_sdk.plugins.v12",
                                     "community_plus.modules", "community_plus_sdk.plugins.vx", "pytest11")] == [
        1, 12, 0, None, None]


def test_a_plugin_for_another_major_is_refused_and_the_rest_load():
    registry = PluginRegistry()
    registry.load_entry_points([
        EntryPoint("future_board", "cp_no_such_package_v2", "community_plus_sdk.plugins.v2"),  # never imported
        EntryPoint("legacy_board", "cp_no_such_package_v0", "community_plus.modules"),
        EntryPoint("micro_charity", "micro_charity", GROUP)])
    assert list(registry.modules) == ["micro_charity"]
    reasons = {f.entry_point: f.reason for f in registry.failed}
    assert set(reasons) == {"future_board", "legacy_board"}
    assert "built for SDK 2.x" in reasons["future_board"] and f"provides community-plus-sdk {__version__}" in \
        reasons["future_board"] and "import failed" not in reasons["future_board"]
    assert "built for SDK 1.0 之前" in reasons["legacy_board"] and "'community-plus-sdk>=1,<2'" in reasons["legacy_board"]


def test_plugins_list_shows_the_refusal(tmp_path, monkeypatch):
    """A distribution installed for SDK 2 (its metadata on sys.path, as pip leaves it)."""
    info = tmp_path / "community_plus_future_board-2.0.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: community-plus-future-board\nVersion: 2.0.0\n")
    (info / "entry_points.txt").write_text("[community_plus_sdk.plugins.v2]\nfuture_board = future_board\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv("CP_PLUGINS", raising=False)
    result = CliRunner().invoke(main, ["plugins", "list"], terminal_width=400)
    assert result.exit_code == 0, result.output
    line = next(line for line in result.output.splitlines() if "future_board" in line)
    assert "community-plus-future-board" in line and "skipped" in line and "SDK 2.x" in line
    assert "micro_charity" in result.output and "loaded" in result.output


def test_plugin_check_reports_the_other_major_once(tmp_path):
    root = new_plugin("cp_future_board", tmp_path, title="未来公告板", validate=False)
    pyproject = root / "pyproject.toml"
    text = pyproject.read_text()
    assert f'[project.entry-points."{GROUP}"]' in text
    pyproject.write_text(text.replace(GROUP, "community_plus_sdk.plugins.v2"))
    report = check_plugin(root)
    assert [p.check for p in report.errors] == ["pyproject"]  # one mistake, one message
    assert "built for SDK 2.x" in report.errors[0].message and report.errors[0].line
    assert GROUP in report.errors[0].fix
    result = CliRunner().invoke(main, ["plugin", "check", str(root)])
    assert result.exit_code == 1 and "SDK 2.x" in result.output
