"""The checks of `plugin check` that read a plugin's files without importing it: its
pyproject.toml, the modules its code imports, and the literals it passes to `ctx.notify`."""

from __future__ import annotations

import ast
import re

from community_plus_sdk.notify import PHRASE_MAX, THING_MAX, fit, notice_state
from community_plus_sdk.version import SDK_MAJOR, refusal

from community_plus.devtools.problems import Problem
from community_plus.devtools.project import GROUP, PluginProject, normalize_dist

CORE_PACKAGES = ("community_plus",)
DIRECT_DATABASE = ("pymongo", "motor")


def check_pyproject(project: PluginProject) -> list[Problem]:
    """pyproject.toml names the distribution, depends on community-plus and registers entry points."""
    if project.error:
        return [Problem("pyproject", project.error,
                        "create pyproject.toml (`community-plus plugin new NAME` writes a complete one)"
                        if project.error == "no pyproject.toml" else "fix the TOML syntax at that line",
                        "pyproject.toml", project.error_line)]
    out = []
    if not project.dist_name:
        out.append(Problem("pyproject", "[project] has no name",
                           'add  name = "community-plus-<module>"  under [project]', "pyproject.toml"))
    names = [normalize_dist(re.split(r"[\s\[<>=!~;(]", d, maxsplit=1)[0]) for d in project.dependencies]
    if "community-plus-sdk" not in names:
        out.append(Problem("pyproject", "dependencies do not include community-plus-sdk",
                           f'add "community-plus-sdk>={SDK_MAJOR},<{SDK_MAJOR + 1}" to [project] dependencies (and '
                           '"community-plus-sdk[harness]" to the test extra); a module never depends on the server',
                           "pyproject.toml", project.line_of_text(r"^\s*dependencies\s*=")))
    for group in project.foreign_groups:
        out.append(Problem("pyproject", refusal(group),
                           f'rename the table to  [project.entry-points."{GROUP}"]  once the module works with SDK '
                           f"{SDK_MAJOR}", "pyproject.toml", project.line_of_text(re.escape(group))))
    eps = project.entry_points
    if not eps and not project.foreign_groups:
        out.append(Problem("pyproject", f"no entry point in the '{GROUP}' group: Community+ will never find the module",
                           f'add\n  [project.entry-points."{GROUP}"]\n  <module> = "<package>"',
                           "pyproject.toml"))
    for ep in eps:
        if ep.parsed is None:
            out.append(Problem("pyproject", f"entry point {ep.name!r} = {ep.value!r} is not 'package.module[:object]'",
                               f'write it as  {ep.name} = "your_package"', "pyproject.toml", ep.line))
        if not re.match(r"^[a-z][a-z0-9_]*$", ep.name):
            out.append(Problem("pyproject", f"entry point name {ep.name!r} is not lower_snake_case",
                               "name the entry point like the module (e.g. notice_board); CP_PLUGINS lists these names",
                               "pyproject.toml", ep.line))
        elif ep.top_package and not any(p.name in (ep.top_package, f"{ep.top_package}.py") for p in project.packages):
            out.append(Problem("pyproject", f"entry point {ep.name!r} names package {ep.top_package!r}, which is not in "
                               f"{project.rel(project.source_root) or '.'}",
                               f"create {ep.top_package}/__init__.py or fix the entry point", "pyproject.toml", ep.line))
    return out


def _imported_names(tree: ast.Module) -> list[tuple[str, int]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.append((node.module, node.lineno))
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str) and (
                (isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
                or (isinstance(node.func, ast.Name) and node.func.id in ("__import__", "import_module"))):
            found.append((node.args[0].value, node.lineno))
    return found


def check_core_imports(project: PluginProject) -> list[Problem]:
    """Plugin code imports `community_plus_sdk` only: never the server's internals or the driver."""
    out = []
    for path, tree in project.syntax_trees().items():
        for name, line in _imported_names(tree):
            top = name.split(".")[0]
            if top in CORE_PACKAGES:
                out.append(Problem("core-imports", f"imports {name}, an internal of the Community+ server",
                                   "import from community_plus_sdk instead (Model, fields, ModuleContext, errors…); if the "
                                   "SDK lacks what you need, ask for it rather than reaching into the core",
                                   project.rel(path), line))
            elif top in DIRECT_DATABASE:
                out.append(Problem("core-imports", f"imports {name}: modules never talk to MongoDB directly",
                                   "use ctx.collection(name) (scoped to the community) or a declarative Model",
                                   project.rel(path), line))
    return out


def _notify_arguments(node: ast.Call) -> tuple[ast.expr | None, ast.expr | None]:
    """The `title` and `state` arguments of a `x.notify(user_ids, title, state, page)` call."""
    named = {k.arg: k.value for k in node.keywords if k.arg}
    return (node.args[1] if len(node.args) > 1 else named.get("title"),
            node.args[2] if len(node.args) > 2 else named.get("state"))


def check_notify(project: PluginProject) -> list[Problem]:
    """`ctx.notify` with a literal state WeChat refuses (a phrase: 1–5 Chinese characters; the
    server raises ValueError at the call), and literal titles it will cut (over 20 characters)."""
    out = []
    for path, tree in project.syntax_trees().items():
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "notify"):
                continue
            title, state = _notify_arguments(node)
            if isinstance(state, ast.Constant) and isinstance(state.value, str):
                try:
                    notice_state(state.value)
                except ValueError:
                    out.append(Problem("notify", f"notify state {state.value!r} is not 1 to {PHRASE_MAX} Chinese "
                                       "characters: ctx.notify raises ValueError (WeChat's phrase keyword)",
                                       "use one short Chinese word such as 已受理 or 已完成; put details in the title",
                                       project.rel(path), node.lineno))
            if isinstance(title, ast.Constant) and isinstance(title.value, str) and len(title.value) > THING_MAX:
                out.append(Problem("notify", f"notify title {title.value!r} has {len(title.value)} characters: WeChat "
                                   f"shows {fit(title.value, THING_MAX)!r}",
                                   f"shorten it to {THING_MAX} characters", project.rel(path), node.lineno,
                                   severity="warning"))
    return out
