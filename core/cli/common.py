"""What every command group shares: the console, the settings and a platform for one run."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import click
from rich.console import Console

from community_plus.platform.embedded import DatabaseError, acquire_database
from community_plus.settings import ConfigurationError, Settings, load_settings


console = Console(stderr=True)


def _settings() -> Settings:
    try:
        return load_settings()
    except ConfigurationError as exc:
        raise click.ClickException(str(exc)) from exc


def with_platform(settings: Settings, fn: Callable[[Any], Awaitable[Any]]) -> Any:
    """Run `fn(platform)` against the configured or embedded database."""
    from community_plus.platform import db as dbm
    from community_plus.domains.platform import Platform
    from community_plus.domains.opening import open_domains

    async def run(uri: str) -> Any:
        client = dbm.connect(uri)
        platform = Platform(settings.model_copy(update={"mongodb_uri": uri}), client, dbm.database_of(client))
        try:
            await open_domains(platform)
            return await fn(platform)
        finally:
            await client.close()

    try:
        with acquire_database(settings) as uri:
            return asyncio.run(run(uri))
    except DatabaseError as exc:
        raise click.ClickException(str(exc)) from exc
