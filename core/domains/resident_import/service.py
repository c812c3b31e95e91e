"""Resident import: who may import where, starting jobs, reading their status and problems.

Community, region and platform admins import into a community in their scope (region and
platform admins name it). The uploaded file is moved out of the upload spool into
`<CP_DATA_DIR>/imports/` and a job is started in the background of the worker that received
it (`ImportRunner`); the caller polls `residentImportJob(id)` — any worker can answer, the
status lives in the database. A job whose runner stopped beating (the worker died) reads
as INTERRUPTED. The CLI runs the same importer in the foreground.
"""

from __future__ import annotations

import asyncio
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TYPE_CHECKING

from community_plus.platform.access import Scope
from community_plus.platform.context import RequestContext
from community_plus.platform.errors import BadUserInput, NotFound
from community_plus.domains.media.spool import ReceivedFile
from community_plus.platform.repository import Page, new_id
from community_plus.domains.audit import service as audit
from community_plus.domains.resident_import.importer import RUNNING, ResidentImporter
from community_plus.domains.resident_import.repository import ImportErrorRepository, ImportJobRepository
from community_plus.domains.resident_import.sheets import format_of

if TYPE_CHECKING:
    from community_plus.domains.platform import Platform

IMPORT_ROLES = ("platform_admin", "region_admin", "community_admin")
MODES = ("all_or_nothing", "valid_rows")
MAX_FILE_BYTES = 50 * 1024 * 1024
STALE_AFTER = timedelta(minutes=2)
EXTRAS_KEY = "resident_import"


@dataclass(slots=True)
class ImportRepositories:
    jobs: ImportJobRepository
    errors: ImportErrorRepository

    @classmethod
    def of(cls, platform: Platform) -> ImportRepositories:
        found = platform.parts.get(EXTRAS_KEY)
        if found is None:
            found = platform.parts[EXTRAS_KEY] = cls(ImportJobRepository(platform.db),
                                                      ImportErrorRepository(platform.db))
        return found

    def all(self) -> list:
        return [self.jobs, self.errors]


class ImportRunner:
    """The import jobs running in this worker (cancelled, and marked INTERRUPTED, at shutdown)."""

    def __init__(self) -> None:
        self.tasks: set[asyncio.Task] = set()

    def start(self, importer: ResidentImporter) -> asyncio.Task:
        task = asyncio.create_task(self._run(importer), name=f"resident-import-{importer.job['_id']}")
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    @staticmethod
    async def _run(importer: ResidentImporter) -> None:
        try:
            await importer.run()
        except Exception:  # logged and recorded on the job by the importer
            pass
        finally:
            importer.path.unlink(missing_ok=True)


def effective_status(job: dict[str, Any], now: datetime | None = None) -> str:
    """The stored status, or `interrupted` for a running job nobody has advanced lately."""
    now = now or datetime.now(UTC)
    if job["status"] in RUNNING and job["updatedAt"].replace(tzinfo=UTC) < now - STALE_AFTER:
        return "interrupted"
    return job["status"]


class ResidentImportService:
    def __init__(self, ctx: RequestContext) -> None:
        self.ctx, self.p, self.scope = ctx, ctx.platform, ctx.scope
        self.repos = ImportRepositories.of(self.p)

    async def target_community(self, community_id: str | None, path: str = "communityId") -> dict[str, Any]:
        pr = self.scope.require_role(*IMPORT_ROLES)
        cid = community_id or self.scope.community_id or pr.community_id
        community = await self.p.regions.get(cid) if cid else None
        if community is None or community.get("level") != "community" or not self.scope.covers_community(community):
            raise BadUserInput({path: "请指定您管辖范围内的社区 (give a community in your scope)"})
        return community

    async def new_job(self, community: dict[str, Any], file_name: str | None, fmt: str, mode: str,
                      dry_run: bool) -> dict[str, Any]:
        if mode not in MODES:
            raise BadUserInput({"mode": f"未知的导入方式 (use one of {', '.join(m.upper() for m in MODES)})"})
        pr = self.scope.require()
        now = datetime.now(UTC)
        job = {"_id": new_id(), "communityId": community["_id"], "regionPath": [*community["path"], community["_id"]],
               "createdBy": pr.user_id, "createdByName": pr.display_name, "fileName": (file_name or "")[:200] or None,
               "format": fmt, "mode": mode, "dryRun": dry_run, "status": "queued", "totalRows": None,
               "processedRows": 0, "validRows": 0, "importedRows": 0, "errorCount": 0, "progress": 0.0,
               "createdAt": now, "updatedAt": now, "finishedAt": None, "failure": None}
        stored = await self.repos.jobs.insert(job)
        if stored["_id"] == job["_id"]:
            await audit.record(self.ctx, "import_start", "resident_import", stored, [], dryRun=dry_run, mode=mode)
        return stored

    def importer(self, job: dict[str, Any], path: Path, progress=None) -> ResidentImporter:
        detached = RequestContext(self.p, Scope(self.scope.principal, job["communityId"]), self.ctx.request_id)
        return ResidentImporter(detached, self.repos.jobs, self.repos.errors, job, path, progress)

    async def start(self, file: ReceivedFile, community_id: str | None, mode: str, dry_run: bool) -> dict[str, Any]:
        """Check the upload, create the job, run it in this worker's background."""
        community = await self.target_community(community_id)
        fmt = format_of(file.head, file.filename)
        if fmt is None:
            raise BadUserInput({"file": "请上传 CSV 或 XLSX 文件 (upload a .csv or .xlsx file; old .xls files: save "
                                        "as .xlsx first)"})
        if file.size > MAX_FILE_BYTES:
            raise BadUserInput({"file": f"文件不能超过 {MAX_FILE_BYTES >> 20} MB (at most {MAX_FILE_BYTES >> 20} MB)"})
        job = await self.new_job(community, file.filename, fmt, mode, dry_run)
        if job["status"] != "queued" or job["processedRows"]:
            return job  # a retry of a request whose job already runs
        folder = self.p.settings.data_dir / "imports"
        await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
        path = folder / f"{job['_id']}.{fmt}"
        await asyncio.to_thread(shutil.move, str(file.path), path)
        runner: ImportRunner | None = self.p.resident_import_runner
        importer = self.importer(job, path)
        if runner is None:  # no background runner wired (e.g. a bare platform): run to the end
            try:
                return await importer.run()
            finally:
                path.unlink(missing_ok=True)
        runner.start(importer)
        return job

    async def get(self, id: str) -> dict[str, Any]:
        self.scope.require_role(*IMPORT_ROLES)
        job = await self.repos.jobs.get(id, self.scope.community_filter())
        if job is None:
            raise NotFound("resident import job")
        return job

    async def list(self, first: int, after: str | None) -> Page:
        self.scope.require_role(*IMPORT_ROLES)
        return await self.repos.jobs.page_in(self.scope.community_filter(), first, after)

    async def errors(self, job: dict[str, Any], first: int, after: str | None) -> Page:
        return await self.repos.errors.of_job(job["_id"], first, after)
