"""The orphan sweep by hand: `python -m community_plus.domains.media.cleanup` opens media the
way the server does (`setup.open_media`, same environment) and runs one pass of
`orphans.run_once`."""

from __future__ import annotations

import asyncio

from community_plus.domains.media.orphans import run_once
from community_plus.domains.media.setup import open_media
from community_plus.platform import db as dbm
from community_plus.platform.context import Platform
from community_plus.settings import load_settings


async def _main() -> None:
    settings = load_settings()
    if not settings.mongodb_uri:
        raise SystemExit("MONGODB_URI is not set")
    client = dbm.connect(settings.mongodb_uri)
    platform = Platform(settings, client, dbm.database_of(client))
    storage = await open_media(platform)
    try:
        report = await run_once(platform)
        print(f"removed {report.files_removed} orphan files ({report.files_failed} to retry), "
              f"{report.staging_removed} staging objects, {report.temp_removed} temp files")
    finally:
        await storage.close()
        await client.close()


def main() -> None:
    """CLI: `python -m community_plus.domains.media.cleanup` (reads the same environment as the server)."""
    asyncio.run(_main())


if __name__ == "__main__":
    main()
