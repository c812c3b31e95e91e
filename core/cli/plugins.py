"""`community-plus plugins list`: the installed modules."""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from community_plus.cli.common import _settings, console


@click.group()
def plugins() -> None:
    """Installed modules (plugins)."""


@plugins.command("list")
def plugins_list() -> None:
    """Installed modules: name, version, state and hooks (no database needed)."""
    from community_plus.modules.registry import PluginRegistry

    registry = PluginRegistry(allow=_settings().allowed_plugins)
    registry.load_entry_points()
    table = Table(title="Community+ modules")
    for col in ("module", "title", "version", "distribution", "state", "hooks"):
        table.add_column(col)
    for name, m in sorted(registry.modules.items()):
        table.add_row(name, m.manifest.title, m.manifest.version, f"{m.distribution or '-'} {m.dist_version or ''}",
                      "[green]loaded[/]", ", ".join(m.hooks))
    for f in registry.failed:
        table.add_row(f.entry_point, "", "", f.distribution or "-", f"[red]skipped[/]: {f.reason}", "")
    Console().print(table)
    if not registry.modules and not registry.failed:
        console.print("no plugins installed: `pip install` a module that registers the "
                      "'community_plus_sdk.plugins.v1' entry point")
