"""Import jobs and the problems found in their files.

`resident_import_jobs`: `{_id, communityId, regionPath, createdBy, createdByName, fileName,
format, mode, dryRun, status, totalRows, processedRows, validRows, importedRows, errorCount,
progress, createdAt, updatedAt (the runner's heartbeat), finishedAt, failure}`.
`resident_import_errors`: one document per problem, `{_id: "<job>:<row>:<n>", jobId, row,
column, reason}`; ids sort by row, so a job's errors page in file order.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo import ASCENDING, IndexModel, ReturnDocument

from community_plus.platform import stamps
from community_plus.platform.repository import Page, Repository, scoped


class ImportJobRepository(Repository):
    collection = "resident_import_jobs"
    indexes = [
        IndexModel([("communityId", ASCENDING), ("_id", ASCENDING)]),
        IndexModel([("regionPath", ASCENDING), ("_id", ASCENDING)]),
        IndexModel([("status", ASCENDING), ("updatedAt", ASCENDING)]),
        stamps.INDEX,
    ]

    async def insert(self, doc: dict[str, Any]) -> dict[str, Any]:
        """The stored job (a retry under the same Idempotency-Key gets the first attempt's)."""
        return await stamps.insert_once(self.coll, doc)

    async def update(self, id: str, changes: dict[str, Any], only_if_status: tuple[str, ...] | None = None
                     ) -> dict[str, Any] | None:
        query: dict[str, Any] = {"_id": id}
        if only_if_status:
            query["status"] = {"$in": list(only_if_status)}
        return await self.coll.find_one_and_update(query, {"$set": changes}, return_document=ReturnDocument.AFTER)

    async def stale(self, statuses: tuple[str, ...], before: datetime) -> list[dict[str, Any]]:
        """Running jobs whose runner stopped beating (deliberately global: a maintenance sweep)."""
        return await self.coll.find({"status": {"$in": list(statuses)}, "updatedAt": {"$lt": before}}).to_list()

    async def page_in(self, scope_filter: dict[str, Any], first: int, after: str | None) -> Page:
        return await self.page(scoped({}, scope_filter), first, after, newest_first=True)


class ImportErrorRepository(Repository):
    collection = "resident_import_errors"
    indexes = [IndexModel([("jobId", ASCENDING), ("_id", ASCENDING)])]

    async def insert_many(self, docs: list[dict[str, Any]]) -> None:
        if docs:
            await stamps.insert_all(self.coll, docs, ordered=False)

    async def of_job(self, job_id: str, first: int, after: str | None) -> Page:
        return await self.page({"jobId": job_id}, first, after)


def error_id(job_id: str, row: int, n: int) -> str:
    return f"{job_id}:{row:08d}:{n:02d}"
