"""`community-plus admin create-user`: staff accounts from the command line."""

from __future__ import annotations

import click

from community_plus.cli.common import _settings, console, with_platform


@click.group()
def admin() -> None:
    """Staff accounts."""


@admin.command("create-user")
@click.option("--username", required=True)
@click.option("--role", required=True, type=click.Choice(["platform_admin", "region_admin", "community_admin", "grid_worker",
                                                                   "hotline_operator", "department_staff"]))
@click.option("--name", "display_name", default=None, help="Display name (defaults to the username).")
@click.option("--region", "region_id", default=None, help="Region id (region_admin, hotline_operator).")
@click.option("--department", "department_id", default=None, help="Department id (department_staff).")
@click.option("--community", "community_id", default=None, help="Community id (community_admin, grid_worker).")
@click.option("--grid", "grid_ids", multiple=True, help="Grid id (grid_worker; repeat for several).")
@click.option("--phone", default=None, help="Work phone shown to residents (grid_worker).")
@click.password_option(help="Prompted for when omitted.")
def create_user(username, role, display_name, region_id, department_id, community_id, grid_ids, phone,
                password) -> None:
    """Create a staff account."""
    from community_plus.domains.staff.accounts import create_staff_user

    settings = _settings()

    async def go(platform):
        return await create_staff_user(platform, username=username, password=password, role=role,
                                       display_name=display_name or username, region_id=region_id,
                                       community_id=community_id, grid_ids=list(grid_ids), phone=phone,
                                       department_id=department_id)

    try:
        user = with_platform(settings, go)
    except Exception as exc:  # AppError with field messages
        fields = getattr(exc, "fields", None)
        if fields:
            raise click.ClickException("; ".join(f"{k}: {v}" for k, v in fields.items())) from exc
        raise
    console.print(f"[green]✔[/] created {role} [bold]{user['username']}[/] (id {user['_id']})")
