"""`community-plus plugin check PATH`: find a plugin's mistakes before anyone installs it.

One function per class of problem, each returning `Problem`s that say where (file, line)
and how to fix it:

| check | function | runs |
|---|---|---|
| pyproject | `check_pyproject` | here (reads pyproject.toml) |
| core-imports | `check_core_imports` | here (reads the source with `ast`) |
| load | `probe.load_plugin` | in a child process (imports the plugin) |
| manifest | `check_manifest` | child |
| settings-schema | `check_settings_schema`, `check_settings_titles` (warnings) | child |
| hooks | `check_hooks`, `check_unregistered_hooks` | child |
| collisions | `check_collisions` | child (through `PluginRegistry.add`, like the server) |
| collections | `check_collections` | child |
| permissions | `check_permissions` | child |

Importing happens in a child process (`python -m community_plus.devtools.probe`) so that a
plugin's import-time code cannot affect the caller and two checks never share module caches.
"""

from __future__ import annotations

import ast
import difflib
import inspect
import json
import os
import re
import subprocess
import sys
import tempfile
import types
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from community_plus_sdk.notify import PHRASE_MAX, THING_MAX, fit, notice_state
from community_plus_sdk.version import SDK_MAJOR, refusal

from community_plus.devtools.project import GROUP, PluginProject, normalize_dist

if TYPE_CHECKING:
    from community_plus.devtools.probe import LoadedPlugin

ROLES = ("platform_admin", "region_admin", "community_admin", "grid_worker", "resident")
COLLECTION_RE = re.compile(r"^[a-z][a-z0-9_]{0,47}$")
DECLARATION_HOOKS = ("register_module", "register_models", "register_graphql", "register_topics", "register_collections",
                     "register_permissions")
CORE_PACKAGES = ("community_plus",)
DIRECT_DATABASE = ("pymongo", "motor")
PERMISSION_CALLS = ("require_permission", "has_permission")
COLLECTION_CALLS = ("collection", "unscoped_collection")
PROBE_TIMEOUT = 180


@dataclass
class Problem:
    """One mistake: `check` is its class, `fix` says what to do."""

    check: str
    message: str
    fix: str
    file: str | None = None
    line: int | None = None
    severity: str = "error"  # or "warning"

    @property
    def where(self) -> str:
        if not self.file:
            return ""
        return f"{self.file}:{self.line}" if self.line else self.file


@dataclass
class Report:
    path: Path
    problems: list[Problem] = field(default_factory=list)
    modules: list[str] = field(default_factory=list)
    dist_name: str | None = None

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    def checks_failed(self) -> set[str]:
        return {p.check for p in self.problems}


# -- static checks (no import) ----------------------------------------------------------------
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


# -- checks on the imported plugin (run by probe.py in a child process) -----------------------
def _module_call_line(loaded: LoadedPlugin) -> tuple[str | None, int | None]:
    for path, tree in loaded.trees.items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and ((isinstance(node.func, ast.Name) and node.func.id == "Module") or
                                               (isinstance(node.func, ast.Attribute) and node.func.attr == "Module")):
                return loaded.project.rel(path), node.lineno
    return loaded.where(loaded.impls.get("register_module"))


def _keyword_line(loaded: LoadedPlugin, keyword: str) -> tuple[str | None, int | None]:
    for path, tree in loaded.trees.items():
        for node in ast.walk(tree):
            if isinstance(node, ast.keyword) and node.arg == keyword:
                return loaded.project.rel(path), node.value.lineno
    return _module_call_line(loaded)


def check_manifest(loaded: LoadedPlugin) -> list[Problem]:
    """`register_module` returns a valid `Module` (name, title, version, permission prefixes)."""
    from community_plus_sdk import Module

    if "register_module" not in loaded.impls:
        return [Problem("manifest", f"entry point {loaded.ep.name!r} has no register_module hook",
                        "add  @hookimpl\n      def register_module():\n          return module  "
                        "(a community_plus_sdk.Module)", *loaded.where(loaded.plugin))]
    if loaded.manifest_error:
        return [Problem("manifest", f"register_module() raised {loaded.manifest_error}",
                        "return a Module without doing I/O at registration time",
                        *loaded.where(loaded.impls["register_module"]))]
    manifest = loaded.manifest
    if not isinstance(manifest, Module):
        return [Problem("manifest", f"register_module() returned {type(manifest).__name__}, not a Module",
                        "return community_plus_sdk.Module(name=…, title=…, version=…)",
                        *loaded.where(loaded.impls["register_module"]))]
    out = [Problem("manifest", problem, "fix the Module(...) manifest", *_module_call_line(loaded))
           for problem in manifest.problems() if not problem.startswith("settings_schema")]
    if out:
        return out
    if loaded.project.version and manifest.version != loaded.project.version:
        out.append(Problem("manifest", f"Module version {manifest.version} differs from the distribution version "
                           f"{loaded.project.version} in pyproject.toml",
                           "keep them equal: `migrate` runs when the Module version changes",
                           *_keyword_line(loaded, "version"), severity="warning"))
    if manifest.name != loaded.ep.name:
        out.append(Problem("manifest", f"entry point {loaded.ep.name!r} registers module {manifest.name!r}",
                           f"name the entry point {manifest.name!r} too (CP_PLUGINS and `plugins list` use it)",
                           "pyproject.toml", loaded.ep.line, severity="warning"))
    out.extend(_console_page_problems(loaded, manifest))
    return out


def _console_page_problems(loaded: LoadedPlugin, manifest: Any) -> list[Problem]:
    """Each console page's script is in the package's console/ folder (and shipped with it)."""
    from community_plus.http.admin_console import module_console_dir

    root = module_console_dir(loaded.plugin)
    out = []
    for page in manifest.console_pages:
        if root is None or not (root / page.script).is_file():
            out.append(Problem("manifest", f"console page {page.path!r}: {page.script} is not in the package's "
                               "console/ folder", "add the ES module there and ship it as package data "
                               "([tool.setuptools.package-data] <package> = [\"console/*.js\"])",
                               *_keyword_line(loaded, "console_pages")))
    return out


def check_settings_schema(loaded: LoadedPlugin) -> list[Problem]:
    """The settings schema is valid JSON Schema (2020-12, as the server validates) of type object,
    and every default satisfies its own property."""
    from jsonschema import Draft202012Validator, SchemaError

    manifest = loaded.manifest
    schema = getattr(manifest, "settings_schema", None)
    if manifest is None or loaded.manifest_error:
        return []
    where = _keyword_line(loaded, "settings_schema")
    if not isinstance(schema, dict) or schema.get("type") != "object":
        return [Problem("settings-schema", "settings_schema must be a JSON Schema of type object",
                        'use {"type": "object", "properties": {...}}', *where)]
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        path = "/".join(str(p) for p in exc.absolute_path) or "(root)"
        return [Problem("settings-schema", f"settings_schema is not valid JSON Schema at {path}: {exc.message}",
                        "see https://json-schema.org/draft/2020-12 (the server validates settings with it)", *where)]
    out = []
    if "$schema" in schema and "2020-12" not in str(schema["$schema"]):
        out.append(Problem("settings-schema", f"$schema is {schema['$schema']}, but the server validates with 2020-12",
                           "remove $schema or use https://json-schema.org/draft/2020-12/schema", *where,
                           severity="warning"))
    for key, prop in (schema.get("properties") or {}).items():
        if isinstance(prop, dict) and "default" in prop:
            errors = list(Draft202012Validator(prop).iter_errors(prop["default"]))
            if errors:
                file, line = loaded.project.find_literal(key)
                out.append(Problem("settings-schema", f"the default of setting {key!r} is invalid: {errors[0].message}",
                                   "make the default satisfy the property's own schema", file or where[0],
                                   line or where[1]))
    return out


def _spec_arguments() -> dict[str, list[str]]:
    from community_plus_sdk import hookspecs

    return {name: list(inspect.signature(getattr(hookspecs, name)).parameters) for name in hookspecs.ALL_HOOKS}


def _required_arguments(fn: Any) -> tuple[list[str], list[str]]:
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
    import pluggy

    from community_plus_sdk import hookspecs

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
        plain, kwonly = _required_arguments(fn)
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


def check_collisions(loaded: LoadedPlugin, registry: Any) -> list[Problem]:
    """No type, root field, module or permission name collides with the core or an installed module.

    Uses `PluginRegistry.add`, the server's own loading code; `registry` already holds every
    installed module except this distribution's."""
    if not loaded.manifest_ok:
        return []  # reported by check_manifest; names cannot be compared without a valid manifest
    if loaded.ep.name in registry.pm.list_name_plugin() and registry.pm.get_plugin(loaded.ep.name) is not None:
        return [Problem("collisions", f"entry point name {loaded.ep.name!r} is already used by an installed plugin",
                        "choose another entry point (and module) name", "pyproject.toml", loaded.ep.line)]
    # only the declaration hooks: a mistake in another hook (reported by check_hooks) must not
    # stop the registry from comparing names
    proxy = types.SimpleNamespace(**{name: fn for name, fn in loaded.impls.items()
                                     if name in DECLARATION_HOOKS and not any(_required_arguments(fn))})
    if registry.add(proxy, loaded.ep.name, loaded.project.dist_name, loaded.project.version):
        return []
    reason = registry.failed[-1].reason
    if not any(k in reason for k in ("collides", "already used", "already declared", "do not build")):
        return []  # manifest, hook and collection mistakes have their own checks
    quoted = re.findall(r"'([^']+)'", reason)
    file, line = loaded.locate_graphql_name(quoted[0]) if quoted else (None, None)
    if "do not build" in reason:
        return [Problem("collisions", f"the module's GraphQL types do not build together with the core: {reason}",
                        "fix the strawberry type named in the message", file, line)]
    return [Problem("collisions", reason + " (checked one collision at a time: re-run after fixing it)",
                    "rename it, e.g. prefix it with the module's name", file, line)]


def _literal_calls(loaded: LoadedPlugin, methods: tuple[str, ...]) -> list[tuple[str, str, str | None, int]]:
    """(method, first string argument, file, line) for `x.<method>("literal", …)` calls."""
    found = []
    for path, tree in loaded.trees.items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in methods \
                    and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                found.append((node.func.attr, node.args[0].value, loaded.project.rel(path), node.lineno))
    return found


def _module_of(loaded: LoadedPlugin, path: Path) -> Any:
    """The imported module object of one of the plugin's files (None if it is not imported)."""
    rel = path.resolve().relative_to(loaded.project.source_root.resolve()).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return sys.modules.get(".".join(parts))


def _resolve_constant(node: ast.expr, namespace: dict[str, Any]) -> str | None:
    """The string a name or attribute chain (`MANAGE`, `manifest.MANAGE`, `PERM.name`) has in
    the imported module; None for anything else (a parameter, a call…)."""
    chain: list[str] = []
    while isinstance(node, ast.Attribute):
        chain.insert(0, node.attr)
        node = node.value
    if not isinstance(node, ast.Name) or node.id not in namespace:
        return None
    value = namespace[node.id]
    for attr in chain:
        value = getattr(value, attr, None)
    return value if isinstance(value, str) else None


def _permission_calls(loaded: LoadedPlugin, any_call: bool = False) -> list[tuple[str, str | None, int]]:
    """(permission, file, line) for `x.require_permission(…)` / `x.has_permission(…)` calls whose
    argument is a string literal or a module-level constant (resolved in the imported plugin).
    `any_call`: every string or constant argument of any call but `Permission(…)` (a helper
    such as `is_staff_for(elder, PLACE_FOR)` that checks the permission it is given)."""
    found = [] if any_call else [(name, file, line) for _, name, file, line in _literal_calls(loaded, PERMISSION_CALLS)]
    for path, tree in loaded.trees.items():
        namespace = vars(module) if (module := _module_of(loaded, path)) is not None else {}
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            callee = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if any_call:
                args = [] if callee == "Permission" else node.args
            else:
                args = node.args[:1] if isinstance(node.func, ast.Attribute) and callee in PERMISSION_CALLS else []
            for arg in args:
                if isinstance(arg, ast.Constant):
                    name = arg.value if any_call else None  # literals of permission calls: _literal_calls
                else:
                    name = _resolve_constant(arg, namespace)
                if isinstance(name, str):
                    found.append((name, loaded.project.rel(path), node.lineno))
    return found


def check_collections(loaded: LoadedPlugin) -> list[Problem]:
    """Collection names are short lower_snake_case without `__` (the server adds `<module>__`),
    unique within the module, and code reaches only collections the module declares."""
    if not loaded.manifest_ok:
        return []
    module = loaded.manifest.name
    out: list[Problem] = []
    declared: dict[str, str] = {}

    def validate(name: Any, owner: str, where: tuple[str | None, int | None]) -> None:
        if not isinstance(name, str) or not COLLECTION_RE.match(name) or "__" in name or name.startswith("system"):
            shown = name.split("__")[-1] if isinstance(name, str) and "__" in name else "notices"
            out.append(Problem("collections", f"{owner} uses collection name {name!r}: names are lower_snake_case, "
                               "at most 48 characters, without '__' or a 'system' prefix",
                               f"use a plain name such as {shown!r}: Community+ stores it as "
                               f"{module}__{shown} and scopes every query to the community", *where))
        elif name in declared:
            out.append(Problem("collections", f"collection {name!r} is declared by both {declared[name]} and {owner}",
                               "give each model (and CollectionSpec) its own collection", *where))
        else:
            declared[name] = owner

    for model in loaded.models:
        validate(model.collection_name(), f"model {model.__name__}", loaded.where(model))
    for spec in loaded.collection_specs:
        validate(getattr(spec, "name", None), f"CollectionSpec {getattr(spec, 'name', spec)!r}",
                 loaded.project.find_literal(getattr(spec, "name", "")))
    for method, name, file, line in _literal_calls(loaded, COLLECTION_CALLS):
        if name not in declared:
            out.append(Problem("collections", f"ctx.{method}({name!r}) is not one of this module's collections "
                               f"({', '.join(sorted(declared)) or 'none declared'}); the server refuses it (FORBIDDEN)",
                               f"declare it: a Model with Meta.collection = {name!r}, or "
                               f"register_collections() returning CollectionSpec({name!r})", file, line))
    return out


def check_permissions(loaded: LoadedPlugin) -> list[Problem]:
    """Permissions used (require_permission/has_permission, Model Meta.permissions) are declared
    by this module, roles are known, and every declared permission is used."""
    if not loaded.manifest_ok:
        return []
    module = loaded.manifest.name
    out: list[Problem] = []
    declared: dict[str, Any] = {}
    for perm in [*loaded.manifest.permissions, *loaded.extra_permissions]:
        name = getattr(perm, "name", None)
        where = loaded.project.find_literal(name) if isinstance(name, str) else (None, None)
        if not isinstance(name, str):
            out.append(Problem("permissions", f"register_permissions returned {perm!r}, not a Permission",
                               "return community_plus_sdk.Permission(...) objects", *where))
            continue
        if name in declared:
            out.append(Problem("permissions", f"permission {name!r} is declared twice", "declare it once", *where))
        if not name.startswith(module + ".") and perm not in loaded.manifest.permissions:
            out.append(Problem("permissions", f"permission {name!r} must start with '{module}.'",
                               f"rename it {module}.{name.split('.')[-1]}", *where))
        for role in getattr(perm, "roles", ()):
            if role not in ROLES:
                out.append(Problem("permissions", f"permission {name!r} is granted to unknown role {role!r}",
                                   f"use roles from: {', '.join(ROLES)}", *where))
        declared[name] = perm
    used: dict[str, tuple[str | None, int | None]] = {}
    for name, file, line in _permission_calls(loaded):
        used.setdefault(name, (file, line))
    for model in loaded.models:
        for action, entries in (model.meta("permissions") or {}).items():
            for entry in entries:
                used.setdefault(entry, loaded.project.find_literal(entry) if isinstance(entry, str) else (None, None))
    for name, where in used.items():
        if "." not in name:
            if name not in ROLES:
                out.append(Problem("permissions", f"{name!r} is neither a role nor a permission name",
                                   f"use a role ({', '.join(ROLES)}) or a permission '{module}.<thing>.<action>'",
                                   *where))
        elif name not in declared:
            owner = "" if name.startswith(module + ".") else f" (and it does not start with '{module}.')"
            out.append(Problem("permissions", f"permission {name!r} is used but not declared{owner}",
                               f'declare it: Permission("{name}", "<说明>", roles=("community_admin",)) in '
                               f"Module(permissions=[…])", *where))
    passed = {name for name, _, _ in _permission_calls(loaded, any_call=True)}
    for name in declared:
        if name not in used and name not in passed:
            out.append(Problem("permissions", f"permission {name!r} is declared but never used",
                               "use it (ctx.require_permission, Model Meta.permissions) or remove it",
                               *loaded.project.find_literal(name), severity="warning"))
    return out


# -- orchestration ----------------------------------------------------------------------------
_HAN = re.compile(r"[\u4e00-\u9fff]")


def _untitled(props: dict[str, Any], prefix: str = "") -> list[str]:
    """Paths of settings (nested objects and array items included) without a Chinese `title`."""
    out = []
    for key, prop in props.items():
        if not isinstance(prop, dict):
            continue
        path = f"{prefix}{key}"
        if not _HAN.search(str(prop.get("title", ""))):
            out.append(path)
        nested = prop.get("items") if isinstance(prop.get("items"), dict) else prop
        if isinstance(nested.get("properties"), dict):
            out += _untitled(nested["properties"], f"{path}[]." if nested is not prop else f"{path}.")
    return out


def check_settings_titles(loaded: LoadedPlugin) -> list[Problem]:
    """Every setting has a Chinese `title` (the console's label; a `description` becomes its help
    text): without one, community admins see raw keys such as `minAge`. Only for a valid schema:
    an invalid one is already one error, with no follow-on warnings."""
    from jsonschema import Draft202012Validator

    schema = getattr(loaded.manifest, "settings_schema", None)
    if loaded.manifest is None or loaded.manifest_error or not isinstance(schema, dict):
        return []
    if not Draft202012Validator(Draft202012Validator.META_SCHEMA).is_valid(schema):
        return []
    where = _keyword_line(loaded, "settings_schema")
    return [Problem("settings-schema", f"setting {path!r} has no Chinese title: the console shows the raw key",
                    'add "title": "中文名称" (and a "description" as help text)', *where, severity="warning")
            for path in _untitled(schema.get("properties") or {})]


def check_plugin(path: str | Path) -> Report:
    """Run every check on the plugin folder at `path`."""
    project = PluginProject.load(path)
    report = Report(project.root, dist_name=project.dist_name)
    report.problems += check_pyproject(project)
    if project.error or not project.entry_points or not project.packages:
        return report
    report.problems += check_core_imports(project)
    report.problems += check_notify(project)
    found = run_probe(project)
    report.modules = found.get("modules", [])
    report.problems += [Problem(**p) for p in found.get("problems", [])]
    return report


def run_probe(project: PluginProject) -> dict[str, Any]:
    """Import the plugin in a child process and run the checks that need it."""
    with tempfile.TemporaryDirectory(prefix="cp-check-") as tmp:
        out = Path(tmp) / "probe.json"
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
        try:
            proc = subprocess.run([sys.executable, "-P", "-m", "community_plus.devtools.probe", str(project.root), str(out)],
                                  capture_output=True, text=True, timeout=PROBE_TIMEOUT, env=env,
                                  stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            return {"problems": [asdict(Problem("load", f"importing the plugin took over {PROBE_TIMEOUT}s",
                                                "do no I/O at import time"))]}
        if not out.exists():
            tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-8:])
            return {"problems": [asdict(Problem("load", f"the plugin could not be inspected (exit {proc.returncode}):\n"
                                                f"{tail}", "fix the error above (it happens while importing the plugin)"))]}
        return json.loads(out.read_text())


def to_json(report: Report) -> str:
    return json.dumps({"path": str(report.path), "modules": report.modules,
                       "problems": [asdict(p) for p in report.problems]}, ensure_ascii=False, indent=2)
