"""`community-plus plugin new NAME`: a plugin distribution that installs and passes its tests.

Templates are files under `templates/plugin/` (package data). A path segment or file text
`{{key}}` is replaced by the value of `key`; `.tmpl` is dropped from file names and
`gitignore.tmpl` becomes `.gitignore`. Rendering fails if a placeholder is left over, so a
template and this module cannot drift apart silently.
"""

from __future__ import annotations

import importlib.util
import keyword
import re
import sys
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path

from community_plus_sdk.version import SDK_MAJOR

from community_plus.devtools.project import GROUP

TEMPLATES = Path(__file__).parent / "templates" / "plugin"
NAME_RE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")  # the SDK's module-name rule
RESERVED = {"community_plus", "community_plus_sdk", "community_plus_harness", "community_plus_sandbox", "core", "sdk", "sandbox", "plugins",
            "tests", "test", "schema", "docs", "module", "modules", "plugin"}
_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")


class ScaffoldError(Exception):
    """The name or destination is unusable; the message says why and what to do."""


def camel(name: str) -> str:
    return "".join(part.title() for part in name.split("_"))


def installed_module_names() -> dict[str, str]:
    """Entry-point names of installed Community+ plugins → their distribution. Read from the
    installed metadata without importing any plugin; by convention (checked by `plugin check`)
    an entry point is named like its module, and `plugin check` compares the manifests' names."""
    return {ep.name: ep.dist.name if ep.dist else "?" for ep in entry_points(group=GROUP)}


def validate_name(name: str) -> None:
    """Raise `ScaffoldError` unless `name` can be a new module and a new import package."""
    if not NAME_RE.match(name) or "__" in name or name.endswith("_"):
        raise ScaffoldError(f"{name!r} is not a module name: use lower_snake_case, 2–40 characters, starting with a "
                            "letter, without double or trailing underscores (e.g. notice_board)")
    if keyword.iskeyword(name) or name in sys.stdlib_module_names or name in RESERVED:
        raise ScaffoldError(f"{name!r} is a reserved or standard-library name: choose a more specific one "
                            f"(e.g. {name}_board or community_{name})")
    installed = installed_module_names()
    if name in installed:
        raise ScaffoldError(f"a module named {name!r} is already installed (distribution {installed[name]}): "
                            "choose another name, or uninstall that distribution first")
    spec = importlib.util.find_spec(name)
    if spec is not None and spec.origin not in (None, "namespace"):
        raise ScaffoldError(f"an importable package named {name!r} already exists ({spec.origin}): the plugin's "
                            "package would clash with it; choose another name")


@dataclass(frozen=True)
class PluginNames:
    name: str
    title: str
    description: str

    @property
    def model(self) -> str:
        return f"{camel(self.name)}Entry"

    def values(self) -> dict[str, str]:
        from community_plus_sdk import Model

        probe = type(self.model, (Model,), {"__module__": __name__})  # the SDK's own naming rules
        return {"name": self.name, "title": self.title, "description": self.description,
                "dist": "community-plus-" + self.name.replace("_", "-"), "model": self.model,
                "list_field": probe.list_field(), "single_field": probe.single_field(),
                "sdk_major": str(SDK_MAJOR), "sdk_next": str(SDK_MAJOR + 1)}


def _render(text: str, values: dict[str, str], where: str) -> str:
    def sub(m: re.Match[str]) -> str:
        if m.group(1) not in values:
            raise KeyError(f"template {where} uses unknown placeholder {m.group(0)}")
        return values[m.group(1)]

    return _PLACEHOLDER.sub(sub, text)


def _check_text(label: str, value: str) -> None:
    if any(c in value for c in '"\\\n\r{}'):
        raise ScaffoldError(f"the {label} must not contain quotes, backslashes, braces or line breaks")


def new_plugin(name: str, dest: str | Path = ".", *, title: str | None = None, description: str | None = None,
               validate: bool = True) -> Path:
    """Create the plugin folder `dest/name` and return it."""
    if validate:
        validate_name(name)
    title = title or name.replace("_", " ").title()
    description = description or title
    _check_text("title", title)
    _check_text("description", description)
    target = Path(dest).resolve() / name
    if target.exists() and any(target.iterdir()):
        raise ScaffoldError(f"{target} already exists and is not empty: choose another --dir or remove it")
    values = PluginNames(name, title, description).values()
    files = []
    for source in sorted(TEMPLATES.rglob("*")):
        if source.is_dir() or "__pycache__" in source.parts:
            continue
        rel = _render(str(source.relative_to(TEMPLATES)), values, str(source))
        rel = rel.removesuffix(".tmpl")
        rel = ".gitignore" if rel == "gitignore" else rel
        files.append((target / rel, _render(source.read_text(encoding="utf-8"), values, str(source))))
    for path, text in files:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return target
