"""`community-plus seed`: the demo province, idempotent."""

from __future__ import annotations

import dataclasses

import click
from rich.table import Table

from community_plus.cli.common import _settings, console, with_platform


async def run_seed(platform, size, quiet: bool = False) -> dict[str, int]:
    """Seed `size` (a `seed.SeedSize`) with a progress bar (plain lines when not a terminal)."""
    from community_plus.platform.progress import TaskProgress
    from community_plus.demo.seed import seed

    with TaskProgress(console, "seeding", quiet=quiet) as progress:
        return await seed(platform, size.communities, size.residents_per_community, size.grids_per_community,
                          size.work_orders_per_community, progress=progress, extra=platform.seed_extra)


def _seed_size(province: bool, communities: int | None, residents: int | None):
    from community_plus.demo.seed import DEMO, PROVINCE

    base = PROVINCE if province else DEMO
    return dataclasses.replace(base, communities=communities or base.communities,
                               residents_per_community=base.residents_per_community if residents is None
                               else residents)


@click.command("seed")
@click.option("--province", is_flag=True,
              help="The big demo province: 12 communities × 2,000 residents (about half a minute).")
@click.option("--communities", type=click.IntRange(1, 60), default=None,
              help="Communities to make [default: 3, or 12 with --province].")
@click.option("--residents-per-community", type=click.IntRange(0, 20000), default=None,
              help="[default: 100, or 2,000 with --province]")
def seed_cmd(province: bool, communities: int | None, residents_per_community: int | None) -> None:
    """Create realistic demo data: a small demo (3 communities × 100 residents, grids, staff,
    work orders, modules) or with --province a big one. Idempotent; a bigger run completes a
    smaller one."""
    settings = _settings()
    size = _seed_size(province, communities, residents_per_community)

    async def go(platform):
        _attach_extensions(platform)
        return await run_seed(platform, size)

    result = with_platform(settings, go)
    console.print(f"[green]✔[/] seeded {result['communities']} communities, "
                  f"{result['residents_created']} new residents")
    _print_demo_accounts()


def _attach_extensions(platform) -> None:
    """Let later subsystems (work orders, plugins) add seed steps; see `modules/seeding.py`."""
    from community_plus.modules.seeding import attach_cli_extensions

    attach_cli_extensions(platform)


def _print_demo_accounts() -> None:
    from community_plus.demo.seed import DEMO_PASSWORD

    table = Table(title="Demo accounts (dev only)")
    for col in ("username", "role", "password"):
        table.add_column(col)
    table.add_row("admin", "platform_admin", DEMO_PASSWORD)
    table.add_row("nanjing", "region_admin (南京市)", DEMO_PASSWORD)
    table.add_row("admin001", "community_admin (first community)", DEMO_PASSWORD)
    table.add_row("gw0011", "grid_worker (first grid)", DEMO_PASSWORD)
    console.print(table)
