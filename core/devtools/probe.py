"""The child process of `plugin check`: import a plugin from its folder and run the checks
that need the live objects (manifest, settings schema, hooks, collisions, collections,
permissions). Writes `{"modules": [...], "problems": [...]}` as JSON to the given file.

Usage (internal): ``python -m community_plus.devtools.probe PLUGIN_DIR OUT.json``
"""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import logging
import sys
import traceback
from dataclasses import asdict, dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from community_plus_sdk import Model, Module, hookspecs

from community_plus.devtools.hook_checks import check_hooks, check_unregistered_hooks, required_arguments
from community_plus.devtools.manifest_checks import check_manifest, check_settings_schema, check_settings_titles
from community_plus.devtools.name_checks import check_collections, check_collisions, check_permissions
from community_plus.devtools.problems import Problem
from community_plus.devtools.project import GROUP, EntryPointSpec, PluginProject, normalize_dist


@dataclass
class LoadedPlugin:
    """One entry point of the plugin, imported, with what its declaration hooks return."""

    project: PluginProject
    ep: EntryPointSpec
    plugin: Any
    trees: dict[Path, ast.Module]
    impls: dict[str, Any] = field(default_factory=dict)
    manifest: Any = None
    manifest_error: str | None = None
    models: list[Any] = field(default_factory=list)
    collection_specs: list[Any] = field(default_factory=list)
    extra_permissions: list[Any] = field(default_factory=list)

    @property
    def manifest_ok(self) -> bool:
        return isinstance(self.manifest, Module) and not self.manifest.problems()

    def where(self, obj: Any) -> tuple[str | None, int | None]:
        """File and line where `obj` (function, class, module) is defined."""
        try:
            target = inspect.unwrap(obj) if callable(obj) else obj
            file = inspect.getsourcefile(target)
            line = 1 if inspect.ismodule(target) else inspect.getsourcelines(target)[1]
        except (TypeError, OSError):
            return None, None
        return self.project.rel(file), line

    def locate_graphql_name(self, name: str) -> tuple[str | None, int | None]:
        """Where a type or root field named `name` comes from (a model, a class, a resolver)."""
        for model in self.models:
            generated = {model.type_name(), f"Create{model.type_name()}Input", f"Update{model.type_name()}Input",
                         f"{model.type_name()}Filter", f"{model.type_name()}Connection", f"{model.type_name()}Edge",
                         model.single_field(), model.list_field(), *(f"{verb}{model.type_name()}"
                                                                     for verb in ("create", "update", "delete"))}
            if name in generated:
                return self.where(model)
        snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")
        file, line = self.project.find_definition(name, snake)
        return (file, line) if file else self.project.find_literal(name)


def _files_for(project: PluginProject, module: str) -> dict[Path, ast.Module]:
    """The parsed files that belong to `module` (a package: its subtree; a module: its file)."""
    parts = module.split(".")
    base = project.source_root.joinpath(*parts)
    trees = project.syntax_trees()
    if base.is_dir():
        return {p: t for p, t in trees.items() if base in p.parents}
    return {p: t for p, t in trees.items() if p == base.with_suffix(".py")}


def _call_declaration(loaded: LoadedPlugin, hook: str) -> list[Any]:
    fn = loaded.impls.get(hook)
    if fn is None or inspect.iscoroutinefunction(fn) or any(required_arguments(fn)):
        return []  # check_hooks reports why
    value = fn()
    if callable(value) and not isinstance(value, type):
        value = value()
    return list(value or []) if hook != "register_module" else [value]


def load_plugin(project: PluginProject, ep: EntryPointSpec) -> tuple[LoadedPlugin | None, list[Any]]:
    """Import one entry point and call its declaration hooks; problems of class `load`."""
    module, attr = ep.parsed or (None, None)
    try:
        plugin = importlib.import_module(module)
        for part in (attr or "").split(".") if attr else []:
            plugin = getattr(plugin, part)
    except Exception as exc:
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if project.root in Path(f.filename).resolve().parents]
        file, line = (project.rel(frames[-1].filename), frames[-1].lineno) if frames else (None, None)
        if isinstance(exc, SyntaxError) and exc.filename:
            file, line = project.rel(exc.filename), exc.lineno
        return None, [Problem("load", f"importing {ep.value} failed: {type(exc).__name__}: {exc}",
                              "fix the error; plugins must import with only community_plus_sdk and their own "
                              "declared dependencies installed", file, line)]
    loaded = LoadedPlugin(project, ep, plugin, _files_for(project, module))
    for attr_name in dir(plugin):
        fn = getattr(plugin, attr_name, None)
        opts = getattr(fn, f"{hookspecs.PROJECT}_impl", None) if callable(fn) else None
        if isinstance(opts, dict):
            loaded.impls[opts.get("specname") or attr_name] = fn
    problems = []
    try:
        found = _call_declaration(loaded, "register_module")
        loaded.manifest = found[0] if found else None
    except Exception as exc:
        loaded.manifest_error = f"{type(exc).__name__}: {exc}"
    for hook, target in (("register_models", "models"), ("register_collections", "collection_specs"),
                         ("register_permissions", "extra_permissions")):
        try:
            setattr(loaded, target, _call_declaration(loaded, hook))
        except Exception as exc:
            problems.append(Problem("load", f"{hook}() raised {type(exc).__name__}: {exc}",
                                    "declaration hooks must return their lists without I/O",
                                    *loaded.where(loaded.impls[hook])))
    if loaded.manifest is not None and hasattr(loaded.manifest, "models"):  # parts carried by `Module(...)`
        loaded.models = [*loaded.manifest.models, *(loaded.models or [])]
        loaded.collection_specs = [*loaded.manifest.collections, *(loaded.collection_specs or [])]
    bad = [m for m in loaded.models if not (isinstance(m, type) and issubclass(m, Model))]
    if bad:
        problems.append(Problem("load", f"register_models() returned {bad[0]!r}, not a Model subclass",
                                "return the Model classes themselves", *loaded.where(loaded.impls["register_models"])))
        loaded.models = [m for m in loaded.models if m not in bad]
    return loaded, problems


def _installed_registry(project: PluginProject) -> Any:
    """A `PluginRegistry` with every installed module except this distribution's."""
    from community_plus.modules.registry import PluginRegistry

    registry = PluginRegistry()
    own = normalize_dist(project.dist_name or "")
    registry.load_entry_points([ep for ep in entry_points(group=GROUP)
                                if not (ep.dist and normalize_dist(ep.dist.name) == own)])
    return registry


def probe(project: PluginProject) -> dict[str, Any]:
    sys.path.insert(0, str(project.source_root))
    problems: list[Any] = []
    loaded_all: list[LoadedPlugin] = []
    for ep in project.entry_points:
        if ep.parsed is None:
            continue
        loaded, load_problems = load_plugin(project, ep)
        problems += load_problems
        if loaded is not None:
            loaded_all.append(loaded)
    registry = _installed_registry(project) if loaded_all else None
    for loaded in loaded_all:
        problems += check_manifest(loaded)
        problems += check_settings_schema(loaded)
        problems += check_settings_titles(loaded)
        problems += check_hooks(loaded)
        problems += check_collections(loaded)
        problems += check_permissions(loaded)
        problems += check_collisions(loaded, registry)
    if len(loaded_all) == len([ep for ep in project.entry_points if ep.parsed]):  # else: the import error says it all
        problems += check_unregistered_hooks(project, loaded_all)
    modules = [lp.manifest.name for lp in loaded_all if lp.manifest_ok]
    return {"modules": modules, "problems": [asdict(p) for p in problems]}


def main(argv: list[str]) -> int:
    root, out = Path(argv[0]), Path(argv[1])
    logging.disable(logging.CRITICAL)
    import structlog

    structlog.configure(logger_factory=structlog.ReturnLoggerFactory())  # the registry's log lines: silent
    result = probe(PluginProject.load(root))
    out.write_text(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
