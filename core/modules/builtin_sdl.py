"""SDL of each built-in module: the core schema plus that module (`schema/<module>.graphql`)."""

from __future__ import annotations

from strawberry.printer import print_schema

from community_plus.graphql.schema import build_schema
from community_plus.modules.registry import PluginRegistry
from community_plus.modules.builtin import BUILTIN


def module_sdl_files() -> dict[str, str]:
    registry = PluginRegistry(allow=set(BUILTIN))
    registry.load_entry_points()
    return {f"{name}.graphql": print_schema(build_schema([registry.modules[name].graphql_parts()])) + "\n"
            for name in sorted(registry.modules)}
