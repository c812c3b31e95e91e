"""`community-plus residents import FILE --community C [--dry-run] [--valid-rows]`: the same
importer as the API, in the foreground, with a progress bar (`core/platform/progress.py`). The job is
recorded like one started through the API (its audit entries name the CLI as the actor)."""

from __future__ import annotations

import getpass
from pathlib import Path

import click

EXIT_REJECTED = 1
SHOWN_ERRORS = 50


@click.group()
def residents() -> None:
    """Residents (居民): bulk import."""


@residents.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--community", "community_id", required=True, help="Id of the community to import into.")
@click.option("--dry-run", is_flag=True, help="Check every row and report; write nothing.")
@click.option("--valid-rows", is_flag=True, help="Import the valid rows even when some rows are bad.")
def import_cmd(file: Path, community_id: str, dry_run: bool, valid_rows: bool) -> None:
    """Import residents from a CSV or XLSX file laid out like the template (Chinese headers)."""
    from community_plus.platform.access import Principal, Scope
    from community_plus.cli.common import _settings, console, with_platform
    from community_plus.platform.context import RequestContext
    from community_plus.platform.progress import TaskProgress
    from community_plus.platform.repository import new_id
    from community_plus.platform import db as dbm
    from community_plus.domains.resident_import.service import ImportRepositories, ResidentImportService
    from community_plus.domains.resident_import.sheets import format_of

    with file.open("rb") as f:
        fmt = format_of(f.read(4096), file.name)
    if fmt is None:
        raise click.ClickException("请使用 CSV 或 XLSX 文件 (give a .csv or .xlsx file)")

    settings = _settings()

    async def go(platform):
        from community_plus.modules.setup import open_plugins_for_command

        await open_plugins_for_command(platform, settings)  # imported residents reach modules' on_event
        repos = ImportRepositories.of(platform)
        await dbm.ensure_indexes(platform.db, {r.collection: r.indexes for r in repos.all()})
        principal = Principal(user_id=f"cli:{getpass.getuser()}", role="platform_admin",
                              display_name=f"命令行导入 ({getpass.getuser()})")
        ctx = RequestContext(platform, Scope(principal, community_id), request_id=f"cli-{new_id()}")
        service = ResidentImportService(ctx)
        try:
            community = await service.target_community(community_id, "--community")
        except Exception as exc:
            raise click.ClickException(f"社区 {community_id!r} 不存在 (no such community)") from exc
        job = await service.new_job(community, file.name, fmt, "valid_rows" if valid_rows else "all_or_nothing",
                                    dry_run)
        with TaskProgress(console, "import") as progress:
            job = await service.importer(job, file, progress).run()
        errors = (await repos.errors.of_job(job["_id"], SHOWN_ERRORS, None)).docs
        return job, errors

    job, errors = with_platform(settings, go)
    for e in errors:
        console.print(f"第{e['row']}行 {e['column'] or '(整行)'}: {e['reason']}", markup=False, highlight=False)
    if job["errorCount"] > len(errors):
        console.print(f"… {job['errorCount'] - len(errors)} more (query residentImportJob(id: \"{job['_id']}\"))")
    console.print(f"job {job['_id']}: {job['status'].upper()} — rows {job.get('totalRows') or 0}, valid "
                  f"{job['validRows']}, imported {job['importedRows']}, problems {job['errorCount']}",
                  markup=False, highlight=False)
    if job["status"] in ("rejected", "failed"):
        raise SystemExit(EXIT_REJECTED)
