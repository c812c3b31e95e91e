"""`community-plus media sweep`: one pass of the orphan sweep, by hand."""

from __future__ import annotations

import click

from community_plus.cli.common import _settings, console, with_platform
from community_plus.domains.media.orphans import SweepReport, run_once
from community_plus.domains.media.setup import open_media


@click.group()
def media() -> None:
    """Uploaded files and images."""


@media.command("sweep")
def media_sweep() -> None:
    """Delete the uploads never attached within CP_ORPHAN_TTL_HOURS, expired staging objects and
    stale temp files: one pass of what `serve` runs every CP_ORPHAN_SWEEP_MINUTES (same
    environment: MONGODB_URI, CP_STORAGE, CP_S3_*, CP_DATA_DIR)."""

    async def sweep(platform) -> SweepReport:
        storage = await open_media(platform)
        try:
            return await run_once(platform)
        finally:
            await storage.close()

    report = with_platform(_settings(), sweep)
    console.print(f"[green]✔[/] removed {report.files_removed} orphan files ({report.files_failed} to retry), "
                  f"{report.staging_removed} staging objects, {report.temp_removed} temp files")
