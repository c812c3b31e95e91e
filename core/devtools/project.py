"""A plugin folder as the dev tools see it: its pyproject, entry points and Python files.

Reading never imports the plugin: `check` imports it in a separate process (see
`check.probe`), the sandbox only in its server process.
"""

from __future__ import annotations

import ast
import re
import tomllib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from community_plus_sdk.version import ENTRY_POINT_GROUP, group_major

GROUP = ENTRY_POINT_GROUP  # community_plus_sdk.plugins.v<SDK major>
SKIP_DIRS = {"__pycache__", "build", "dist", "node_modules", "venv"}
_EP_VALUE = re.compile(r"^\s*([A-Za-z_][\w.]*)\s*(?::\s*([A-Za-z_][\w.]*)\s*)?$")


def normalize_dist(name: str) -> str:
    """PEP 503 normalised distribution name (`Community_Plus.X` → `community-plus-x`)."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class EntryPointSpec:
    name: str
    value: str
    line: int | None

    @property
    def parsed(self) -> tuple[str, str | None] | None:
        m = _EP_VALUE.match(self.value)
        return (m.group(1), m.group(2)) if m else None

    @property
    def module(self) -> str | None:
        return self.parsed[0] if self.parsed else None

    @property
    def top_package(self) -> str | None:
        return self.module.split(".")[0] if self.module else None


@dataclass
class PluginProject:
    """A plugin distribution's folder. `error` is set when pyproject.toml cannot be read."""

    root: Path
    data: dict[str, Any] = field(default_factory=dict)
    text: str = ""
    error: str | None = None
    error_line: int | None = None

    @classmethod
    def load(cls, root: str | Path) -> PluginProject:
        root = Path(root).resolve()
        project = cls(root)
        path = root / "pyproject.toml"
        if not path.is_file():
            project.error = "no pyproject.toml"
            return project
        project.text = path.read_text(encoding="utf-8")
        try:
            project.data = tomllib.loads(project.text)
        except tomllib.TOMLDecodeError as exc:
            project.error = f"pyproject.toml is not valid TOML: {exc}"
            m = re.search(r"line (\d+)", str(exc))
            project.error_line = int(m.group(1)) if m else None
        return project

    # -- metadata -------------------------------------------------------------------------
    @property
    def meta(self) -> dict[str, Any]:
        value = self.data.get("project")
        return value if isinstance(value, dict) else {}

    @property
    def dist_name(self) -> str | None:
        name = self.meta.get("name")
        return name if isinstance(name, str) else None

    @property
    def version(self) -> str | None:
        version = self.meta.get("version")
        return version if isinstance(version, str) else None

    @property
    def dependencies(self) -> list[str]:
        deps = self.meta.get("dependencies")
        return [d for d in deps if isinstance(d, str)] if isinstance(deps, list) else []

    @property
    def entry_points(self) -> list[EntryPointSpec]:
        groups = self.meta.get("entry-points")
        group = groups.get(GROUP) if isinstance(groups, dict) else None
        if not isinstance(group, dict):
            return []
        return [EntryPointSpec(k, v if isinstance(v, str) else repr(v), self.line_of_text(rf"^\s*\"?{re.escape(k)}\"?\s*="))
                for k, v in group.items()]

    @property
    def foreign_groups(self) -> list[str]:
        """Plugin entry-point groups of another SDK major than this server's (refused at load)."""
        groups = self.meta.get("entry-points")
        return sorted(g for g in groups if g != GROUP and group_major(g) is not None) if isinstance(groups, dict) else []

    def line_of_text(self, pattern: str) -> int | None:
        """First line of pyproject.toml matching `pattern` (a regular expression)."""
        for number, line in enumerate(self.text.splitlines(), 1):
            if re.search(pattern, line):
                return number
        return None

    # -- source ---------------------------------------------------------------------------
    @cached_property
    def source_root(self) -> Path:
        """Where the packages live: `src/` for a src layout, else the folder itself."""
        tops = {ep.top_package for ep in self.entry_points if ep.top_package}
        src = self.root / "src"
        if src.is_dir() and any((src / t).exists() or (src / f"{t}.py").exists() for t in tops):
            return src
        return self.root

    @cached_property
    def packages(self) -> list[Path]:
        """The top-level packages (or single-file modules) the entry points name."""
        out = []
        for top in sorted({ep.top_package for ep in self.entry_points if ep.top_package}):
            for candidate in (self.source_root / top, self.source_root / f"{top}.py"):
                if candidate.exists():
                    out.append(candidate)
        return out

    def python_files(self) -> list[Path]:
        """The plugin's own code (its packages; never its tests or build output)."""
        files: list[Path] = []
        for pkg in self.packages:
            if pkg.is_file():
                files.append(pkg)
                continue
            for path in sorted(pkg.rglob("*.py")):
                parts = path.relative_to(pkg).parts[:-1]
                if any(p in SKIP_DIRS or p.startswith(".") or p.endswith(".egg-info") for p in parts):
                    continue
                files.append(path)
        return files

    @cached_property
    def _trees(self) -> dict[Path, ast.Module | None]:
        trees: dict[Path, ast.Module | None] = {}
        for path in self.python_files():
            try:
                trees[path] = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            except (SyntaxError, UnicodeDecodeError):
                trees[path] = None
        return trees

    def syntax_trees(self) -> dict[Path, ast.Module]:
        """Parsed plugin files (files that do not parse are reported by the import check)."""
        return {p: t for p, t in self._trees.items() if t is not None}

    def rel(self, path: str | Path | None) -> str | None:
        """`path` relative to the plugin folder (as printed), or as given when outside it."""
        if path is None:
            return None
        p = Path(path).resolve()
        try:
            return str(p.relative_to(self.root))
        except ValueError:
            return str(path)

    def find_literal(self, value: str) -> tuple[str | None, int | None]:
        """File and line of the first string literal equal to `value` in the plugin's code."""
        for path, tree in self.syntax_trees().items():
            lines = [n.lineno for n in ast.walk(tree) if isinstance(n, ast.Constant) and n.value == value]
            if lines:
                return self.rel(path), min(lines)
        return None, None

    def find_definition(self, *names: str) -> tuple[str | None, int | None]:
        """File and line of a class/function/assignment named one of `names`."""
        wanted = set(names)
        for path, tree in self.syntax_trees().items():
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.name in wanted:
                    return self.rel(path), node.lineno
                if isinstance(node, ast.Assign | ast.AnnAssign):
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    if any(isinstance(t, ast.Name) and t.id in wanted for t in targets):
                        return self.rel(path), node.lineno
        return None, None
