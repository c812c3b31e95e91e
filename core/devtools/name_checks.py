"""The checks of `plugin check` on the names an imported plugin declares: GraphQL types, root
fields and permissions that collide with the core or an installed module, collection names
and the collections its code reaches, and the permissions it uses, declares and grants. Run
by `probe.py` in the child."""

from __future__ import annotations

import ast
import re
import sys
import types
from pathlib import Path
from typing import TYPE_CHECKING, Any

from community_plus.devtools.hook_checks import DECLARATION_HOOKS, required_arguments
from community_plus.devtools.problems import Problem

if TYPE_CHECKING:
    from community_plus.devtools.probe import LoadedPlugin

ROLES = ("platform_admin", "region_admin", "community_admin", "grid_worker", "resident")
COLLECTION_RE = re.compile(r"^[a-z][a-z0-9_]{0,47}$")
PERMISSION_CALLS = ("require_permission", "has_permission")
COLLECTION_CALLS = ("collection", "unscoped_collection")


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
                                     if name in DECLARATION_HOOKS and not any(required_arguments(fn))})
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
