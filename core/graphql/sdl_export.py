"""Export the published SDL files in `schema/`."""

from __future__ import annotations

from pathlib import Path

from strawberry.printer import print_schema

from community_plus.graphql.schema import build_schema


def core_sdl() -> str:
    return print_schema(build_schema()) + "\n"


def all_sdl() -> dict[str, str]:
    """File name → SDL: the core schema, plus one file per built-in module when present."""
    files = {"core.graphql": core_sdl()}
    try:
        from community_plus.modules.builtin_sdl import module_sdl_files
    except ImportError:
        return files
    files.update(module_sdl_files())
    return files


def export_sdl(out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in all_sdl().items():
        path = out_dir / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
