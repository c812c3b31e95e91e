"""`community-plus queries register`: persisted queries from files."""

from __future__ import annotations

from pathlib import Path

import click

from community_plus.cli.common import _settings, console, with_platform


@click.group()
def queries() -> None:
    """Registered (persisted) GraphQL operations for strict mode."""


@queries.command("register")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def queries_register(files: tuple[Path, ...]) -> None:
    """Register the operations in .graphql FILES (one operation per file); prints their hashes."""
    from community_plus.graphql.extensions.persisted import PersistedQueries, PersistedQueryRepository

    async def go(platform):
        store = PersistedQueries(PersistedQueryRepository(platform.db), strict=True)
        return [(f, await store.store(f.read_text(encoding="utf-8"), registered=True)) for f in files]

    for path, digest in with_platform(_settings(), go):
        console.print(f"[green]✔[/] {digest}  {path}")
