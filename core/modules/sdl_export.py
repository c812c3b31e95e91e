"""Export the published SDL files in `schema/`: the core schema and, per built-in module, the
core schema plus that module (`schema/<module>.graphql`)."""

from __future__ import annotations

from pathlib import Path

from strawberry.printer import print_schema

from community_plus.graphql.schema import build_schema
from community_plus.modules.builtin import BUILTIN
from community_plus.modules.registry import PluginRegistry


def core_sdl() -> str:
    return print_schema(build_schema()) + "\n"


def module_sdl_files() -> dict[str, str]:
    """One file per built-in module that is installed."""
    registry = PluginRegistry(allow=set(BUILTIN))
    registry.load_entry_points()
    return {f"{name}.graphql": print_schema(build_schema([registry.modules[name].graphql_parts()])) + "\n"
            for name in sorted(registry.modules)}


def all_sdl() -> dict[str, str]:
    """File name → SDL: the core schema, plus one file per built-in module when present."""
    return {"core.graphql": core_sdl(), **module_sdl_files()}


def export_sdl(out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in all_sdl().items():
        path = out_dir / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
