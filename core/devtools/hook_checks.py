"""The checks of `plugin check` on an imported plugin's hook implementations: each names a
hook of `hookspecs` and takes only arguments it passes, declaration hooks are synchronous,
and no `@hookimpl` function is left unregistered. Run by `probe.py` in the child."""

from __future__ import annotations

import ast
import difflib
import inspect
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy
from community_plus_sdk import hookspecs

from community_plus.devtools.problems import Problem
from community_plus.devtools.project import PluginProject

if TYPE_CHECKING:
    from community_plus.devtools.probe import LoadedPlugin

DECLARATION_HOOKS = ("register_module", "register_models", "register_graphql", "register_topics", "register_collections",
                     "register_permissions")


def _spec_arguments() -> dict[str, list[str]]:
    return {name: list(inspect.signature(getattr(hookspecs, name)).parameters) for name in hookspecs.ALL_HOOKS}


def required_arguments(fn: Any) -> tuple[list[str], list[str]]:
    """(positional-or-keyword names without defaults, keyword-only names without defaults)."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return [], []
    plain = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty]
    kwonly = [p.name for p in params if p.kind == p.KEYWORD_ONLY and p.default is p.empty]
    return plain, kwonly


def check_hooks(loaded: LoadedPlugin) -> list[Problem]:
    """Every hook implementation names a hook of `hookspecs` and takes a subset of its arguments."""
    specs = _spec_arguments()
    out = []
    for name, fn in loaded.impls.items():
        where = loaded.where(fn)
        opts = getattr(fn, f"{hookspecs.PROJECT}_impl", {}) or {}
        if name not in specs:
            close = difflib.get_close_matches(name, specs, n=1)
            out.append(Problem("hooks", f"{name} is not a Community+ hook, so it is never called",
                               (f"did you mean {close[0]}?" if close else "") +
                               " The hooks are listed in docs/plugin-guide.md (reference).", *where))
            continue
        plain, kwonly = required_arguments(fn)
        extra = [a for a in plain + kwonly if a not in specs[name]]
        if extra:
            out.append(Problem("hooks", f"{name}() takes {', '.join(extra)}, which the hook does not pass "
                               f"(it passes: {', '.join(specs[name]) or 'nothing'})",
                               f"use only these argument names: def {name}({', '.join(specs[name])})", *where))
        if opts.get("hookwrapper") or opts.get("wrapper"):
            out.append(Problem("hooks", f"{name} is a hook wrapper; Community+ calls each module's implementation "
                               "directly", "remove hookwrapper/wrapper from @hookimpl", *where))
        if name in DECLARATION_HOOKS and inspect.iscoroutinefunction(fn):
            out.append(Problem("hooks", f"{name} is async, but declaration hooks are called synchronously at start-up",
                               f"define it with plain `def {name}()` (no I/O at registration time)", *where))
    if not out:  # pluggy's own validation, as the server does it
        pm = pluggy.PluginManager(hookspecs.PROJECT)
        pm.add_hookspecs(hookspecs)
        try:
            pm.register(loaded.plugin, name=loaded.ep.name)
            pm.check_pending()
        except pluggy.PluginValidationError as exc:
            out.append(Problem("hooks", str(exc), "match the hook specification", *loaded.where(loaded.plugin)))
    return out


def check_unregistered_hooks(project: PluginProject, plugins: list[LoadedPlugin]) -> list[Problem]:
    """`@hookimpl` functions that no entry point object exposes are silently ignored."""
    registered = set()  # (file, first line) of every implementation an entry point exposes
    for plugin in plugins:
        for fn in plugin.impls.values():
            code = getattr(inspect.unwrap(fn), "__code__", None)
            if code is not None:
                registered.add((Path(code.co_filename).resolve(), code.co_firstlineno))
    out = []
    for path, tree in project.syntax_trees().items():
        for node in tree.body:
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            decorators = [d.func if isinstance(d, ast.Call) else d for d in node.decorator_list]
            if not any((isinstance(d, ast.Name) and d.id == "hookimpl") or
                       (isinstance(d, ast.Attribute) and d.attr == "hookimpl") for d in decorators):
                continue
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            if {(path.resolve(), node.lineno), (path.resolve(), first)} & registered:
                continue
            out.append(Problem("hooks", f"hook implementation {node.name} is never registered: no entry point "
                               "module exposes it", f"import it in the entry point module (from .{path.stem} import "
                               f"{node.name}) or move it there", project.rel(path), node.lineno))
    return out
