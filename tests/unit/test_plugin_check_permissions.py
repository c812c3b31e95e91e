"""`plugin check` sees permission names used through constants (an undeclared one is reported,
declared ones are not flagged unused), and one real mistake produces one message."""

from __future__ import annotations

from pathlib import Path

import pytest

from community_plus.devtools.check import check_plugin
from community_plus.devtools.scaffold import new_plugin

NAME = "cp_const_board"


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), "utf-8")


@pytest.fixture
def plugin(tmp_path) -> Path:
    return new_plugin(NAME, tmp_path, title="常量公告板", validate=False)


def test_permissions_used_through_constants(plugin):
    (plugin / NAME / "perms.py").write_text(
        f'"""Permission names, one place."""\n\nPIN = "{NAME}.entry.pin"\nARCHIVE = "{NAME}.entry.archive"\n'
        f'PUBLISH = "{NAME}.entry.publish"  # never declared\n', "utf-8")
    init = plugin / NAME / "__init__.py"
    _edit(init, "from .models import", "from . import perms\nfrom .perms import ARCHIVE, PIN, PUBLISH\nfrom .models import")
    _edit(init, "    permissions=[\n", '    permissions=[\n        Permission(PIN, "置顶条目 (pin entries)", roles=("community_admin",)),\n'
                                       '        Permission(ARCHIVE, "归档条目 (archive entries)", roles=("community_admin",)),\n')
    init.write_text(init.read_text("utf-8") + '''

def may(ctx, permission):
    """A helper that checks the permission it is given."""
    return ctx.has_permission(permission)


async def pin(ctx):
    ctx.require_permission(perms.PIN)  # a declared permission, through a module attribute
    return may(ctx, ARCHIVE)  # a declared permission, handed to a helper


async def publish(ctx):
    ctx.require_permission(PUBLISH)  # undeclared, through a constant
''', "utf-8")
    report = check_plugin(plugin)
    messages = [(p.severity, p.message, p.file, p.line) for p in report.problems if p.check == "permissions"]
    assert messages == [("error", f"permission '{NAME}.entry.publish' is used but not declared", f"{NAME}/__init__.py",
                         len(init.read_text("utf-8").splitlines()))], report.problems
    assert [p.check for p in report.problems] == ["permissions"]


def test_a_reserved_field_name_is_one_message(plugin):
    _edit(plugin / NAME / "models.py", "    note = fields.Text(max_length=1000)",
          "    note = fields.Text(max_length=1000)\n    version = fields.Integer()")
    report = check_plugin(plugin)
    assert len(report.problems) == 1, [p.message for p in report.problems]
    problem = report.problems[0]
    assert problem.check == "load" and "'version' is reserved" in problem.message and problem.file == f"{NAME}/models.py"
