"""`community-plus schema export`: the published SDL files."""

from __future__ import annotations

from pathlib import Path

import click

from community_plus.cli.common import console


@click.group()
def schema() -> None:
    """The published GraphQL SDL."""


@schema.command("export")
@click.option("--out", "out_dir", default="schema", show_default=True, type=click.Path(file_okay=False, path_type=Path))
def schema_export(out_dir: Path) -> None:
    """Write schema/core.graphql (and one file per built-in module)."""
    from community_plus.modules.sdl_export import export_sdl

    for path in export_sdl(out_dir):
        console.print(f"[green]✔[/] wrote {path}")
