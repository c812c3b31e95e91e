"""`community-plus plugins list|uninstall`: the installed modules."""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from community_plus.cli.common import _settings, console, with_platform


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


@plugins.command("uninstall")
@click.argument("module")
@click.option("--yes", is_flag=True, help="do not ask before deleting the module's data")
def plugins_uninstall(module: str, yes: bool) -> None:
    """Delete an installed module's data from the database: its collections, every region's
    switch and settings of it, its migrated version (its `module_uninstalled` hook runs first).
    Then `pip uninstall` its distribution. Switching it off instead keeps the data."""
    from community_plus.modules.lifecycle import module_data, uninstall_module
    from community_plus.modules.registry import PluginRegistry

    settings = _settings()
    registry = PluginRegistry(allow=settings.allowed_plugins)
    registry.load_entry_points()
    loaded = registry.modules.get(module)
    if loaded is None:
        installed = ", ".join(sorted(registry.modules)) or "none"
        raise click.UsageError(f"no installed module named {module!r} (installed: {installed}); "
                               "uninstall runs while the distribution is still installed")

    async def go(platform):
        registry.open(platform)
        data = await module_data(platform, registry, module)
        rows = ", ".join(f"{c} ({n} rows)" for c, n in data.items()) or "no collections"
        if not yes:
            click.confirm(f"delete {module}'s data: {rows}, and every region's settings of it?", abort=True)
        return await uninstall_module(platform, registry, module)

    done = with_platform(settings, go)
    for line in done["hook"]:
        console.print(f"{module}: {line}")
    console.print(f"[green]uninstalled {module}[/]: dropped {len(done['collections'])} collection(s), "
                  f"{done['region_settings']} region setting(s). Now remove the code: "
                  f"pip uninstall {loaded.distribution or module}")
