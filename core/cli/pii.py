"""`community-plus pii rotate-key`: re-seal personal data under the current key."""

from __future__ import annotations

import click

from community_plus.cli.common import _settings, console, with_platform


@click.group()
def pii() -> None:
    """Personal-data encryption keys."""


@pii.command("rotate-key")
@click.option("--batch", default=200, show_default=True, help="Rows per batch.")
def pii_rotate_key(batch: int) -> None:
    """Re-encrypt ID and phone numbers under the first key of CP_PII_KEY (resumable)."""
    from community_plus.platform.progress import TaskProgress
    from community_plus.domains.residents.pii_rotation import remaining, rotate_pii

    async def go(platform):
        total = await remaining(platform)
        with TaskProgress(console, "re-encrypting") as progress:
            progress("rows", 0, total)
            done = await rotate_pii(platform, batch, progress=lambda n: progress("rows", n, 0))
        return total, done, await remaining(platform), platform.keyring.current_id

    total, done, left, kid = with_platform(_settings(), go)
    console.print(f"[green]✔[/] {done} of {total} rows now sealed with key {kid!r}; {left} left"
                  + ("" if not left else " (run the command again to finish)"))
