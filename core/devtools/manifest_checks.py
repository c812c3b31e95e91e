"""The checks of `plugin check` on an imported plugin's manifest: the `Module` its
`register_module` returns (name, version, console pages) and its settings schema (valid JSON
Schema, valid defaults, a Chinese title for every setting). Run by `probe.py` in the child."""

from __future__ import annotations

import ast
import re
from typing import TYPE_CHECKING, Any

from community_plus_sdk import Module
from jsonschema import Draft202012Validator, SchemaError

from community_plus.devtools.problems import Problem
from community_plus.http.admin_console import module_console_dir

if TYPE_CHECKING:
    from community_plus.devtools.probe import LoadedPlugin

_HAN = re.compile(r"[\u4e00-\u9fff]")


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
    schema = getattr(loaded.manifest, "settings_schema", None)
    if loaded.manifest is None or loaded.manifest_error or not isinstance(schema, dict):
        return []
    if not Draft202012Validator(Draft202012Validator.META_SCHEMA).is_valid(schema):
        return []
    where = _keyword_line(loaded, "settings_schema")
    return [Problem("settings-schema", f"setting {path!r} has no Chinese title: the console shows the raw key",
                    'add "title": "中文名称" (and a "description" as help text)', *where, severity="warning")
            for path in _untitled(schema.get("properties") or {})]
