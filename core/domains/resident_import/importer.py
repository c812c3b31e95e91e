"""Running one import job: check every row, then write the valid ones in batches.

Pass 1 reads the file (a stream: CSV reader / openpyxl read_only) in batches of `BATCH` rows;
rows are checked in a worker thread (the event loop keeps serving), ID numbers are turned into
blind indexes there too, duplicates are found within the file (a map of blind indexes seen,
16 bytes each) and against the database (one `$in` query on the unique blind index per batch),
and every problem is stored with its row and column. Then:

- a dry run stops (status VALIDATED);
- a file with problems stops unless the job's mode is VALID_ROWS (status REJECTED: nothing was
  written — the all-or-nothing rule is kept by validating everything before writing anything);
- otherwise pass 2 reads the file again and inserts the valid rows in batches, sealed exactly
  like `createResident` (AES-GCM, blind indexes, masks), with one audit entry per resident and
  the same `resident_created` event (`on_event` of the modules enabled in the community, after
  the batch committed, with the payload `createResident` gives: the sealed record).

A record someone else creates between the passes with the same ID number is caught by the
unique index: that row is reported (and skipped), the rest are written. A 50,000-row
transaction is not something MongoDB (or SecantusDB) should be asked for, hence two passes.
Memory is bounded by the batch size plus the duplicate map (≈ 100 bytes per row with an ID number).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import structlog
from pymongo.errors import BulkWriteError

from community_plus.platform.context import RequestContext
from community_plus.platform.db import DUPLICATE_KEY
from community_plus.platform.repository import new_id
from community_plus.domains.residents.repository import as_datetime_utc
from community_plus.domains.audit import service as audit
from community_plus.domains.resident_import.columns import COLUMNS, HEADER, Column, check_row, header_problems
from community_plus.domains.resident_import.repository import (ImportErrorRepository, ImportJobRepository,
    error_id)
from community_plus.domains.resident_import.sheets import SheetReader

log = structlog.get_logger("community_plus.resident_import")

BATCH = 500
RUNNING = ("queued", "validating", "importing")
Progress = Callable[[str, int, int], None]  # (task, advance, total), as core.progress.TaskProgress
Checked = tuple[int, dict[str, Any], list[tuple[str, str]], str | None]  # row, values, problems, id hash


class ResidentImporter:
    def __init__(self, ctx: RequestContext, jobs: ImportJobRepository, errors: ImportErrorRepository,
                 job: dict[str, Any], path: Path, progress: Progress | None = None) -> None:
        self.ctx, self.p, self.jobs, self.errors = ctx, ctx.platform, jobs, errors
        self.job, self.path, self.progress = job, path, progress or (lambda task, advance, total: None)
        self.bad_rows: set[int] = set()
        self.error_count = 0

    async def run(self) -> dict[str, Any]:
        """Run the job to its end; the final job document. Cancellation marks it INTERRUPTED."""
        try:
            return await self._run()
        except asyncio.CancelledError:
            await self._finish("interrupted", failure="服务停止，导入中断 (the server stopped during the import)")
            raise
        except Exception as exc:
            log.exception("resident import failed", job_id=self.job["_id"])
            await self._finish("failed", failure=f"导入失败 (import failed: {type(exc).__name__})")
            raise

    async def _run(self) -> dict[str, Any]:
        job = self.job
        community = await self.p.regions.get(job["communityId"])
        self.community = community or {"_id": job["communityId"], "path": []}
        self.grids = {g["name"]: g["_id"] for g in await self.p.grids.of_community(job["communityId"])}
        self.today = date.today()
        await self._set(status="validating")
        total, valid = await self._validate()
        summary = {"totalRows": total, "validRows": valid, "errorCount": self.error_count}
        if job["dryRun"]:
            return await self._finish("validated", **summary)
        if self.error_count and job["mode"] != "valid_rows":
            return await self._finish("rejected", **summary)
        await self._set(status="importing", **summary)
        imported = await self._write(valid) if valid else 0
        # Audited before the job reads as finished: whoever sees SUCCEEDED also finds the entry.
        await audit.record(self.ctx, "import", "resident_import", job, [], importedRows=imported,
                           errorCount=self.error_count, fileName=job.get("fileName"))
        return await self._finish("succeeded", **{**summary, "importedRows": imported, "errorCount": self.error_count})

    # -- pass 1 -------------------------------------------------------------------------------
    async def _validate(self) -> tuple[int, int]:
        reader = SheetReader(self.path, self.job["format"])
        rows = reader.rows()
        columns = await self._header(rows)
        if columns is None:
            return 0, 0
        seen: dict[bytes, int] = {}
        total = valid = 0
        self.progress("checking rows", 0, 0)
        while batch := await asyncio.to_thread(self._checked_batch, rows, columns):
            by_hash = {}
            for row, _values, problems, h in batch:
                if h is None:
                    continue
                first = seen.setdefault(bytes.fromhex(h)[:16], row)
                if first != row:
                    problems.append((HEADER["idNumber"], f"与第{first}行的身份证号重复 (duplicate of row {first})"))
                elif not problems:
                    by_hash[h] = row
            taken = await self._taken(batch)
            errors: list[dict[str, Any]] = []
            for row, values, problems, h in batch:
                if h is not None and h in taken:
                    problems.append((HEADER["idNumber"], "该身份证号已登记 (a resident with this ID number exists)"))
                total += 1
                if problems:
                    errors += self._error_docs(row, problems)
                else:
                    valid += 1
            await self.errors.insert_many(errors)
            self.progress("checking rows", len(batch), 0)
            await self._set(processedRows=total, validRows=valid, errorCount=self.error_count,
                            progress=round(reader.position() * (1.0 if self.job["dryRun"] else 0.5), 4))
        return total, valid

    async def _header(self, rows: Iterator[tuple[int, list[Any]]]) -> list[Column | None] | None:
        first = await asyncio.to_thread(next, rows, None)
        if first is None:
            await self.errors.insert_many(self._error_docs(1, [("", "文件为空，请使用模板 (the file is empty: use the "
                                                                  "template)")]))
            return None
        columns, problems = header_problems(first[1])
        if problems:
            await self.errors.insert_many(self._error_docs(1, problems))
            return None
        return columns

    def _checked_batch(self, rows: Iterator[tuple[int, list[Any]]], columns: list[Column | None]) -> list[Checked]:
        """The next `BATCH` non-empty rows, checked (runs in a worker thread)."""
        out: list[Checked] = []
        keyring = self.p.keyring
        for number, cells in rows:
            named = {c.key: v for c, v in zip(columns, cells) if c is not None and v not in (None, "")}
            if not named and not any(v not in (None, "") for v in cells):
                continue  # a blank line
            values, problems = check_row(named, self.grids, self.today)
            if len(cells) > len(columns) and any(v not in (None, "") for v in cells[len(columns):]):
                problems.append(("", "该行的列数多于表头 (more cells than headers)"))
            h = keyring.blind_index(values["idNumber"], "idNumber") if "idNumber" in values else None
            out.append((number, values, problems, h))
            if len(out) >= BATCH:
                break
        return out

    async def _taken(self, batch: list[Checked]) -> set[str]:
        """Blind indexes (current key) of this batch already registered, under any key."""
        keyring = self.p.keyring
        current: dict[str, str] = {}
        for _row, values, _problems, h in batch:
            if h is not None:
                for other in keyring.blind_indexes(values["idNumber"], "idNumber"):
                    current[other] = h
        return {current[h] for h in await self.p.residents.existing_id_number_hashes(list(current))}

    def _error_docs(self, row: int, problems: list[tuple[str, str]]) -> list[dict[str, Any]]:
        self.bad_rows.add(row)
        self.error_count += len(problems)
        return [{"_id": error_id(self.job["_id"], row, n), "jobId": self.job["_id"], "row": row, "column": column,
                 "reason": reason} for n, (column, reason) in enumerate(problems)]

    # -- pass 2 -------------------------------------------------------------------------------
    async def _write(self, valid: int) -> int:
        """Insert the valid rows; the next batch is read and sealed (thread) and the last one's
        audit entries written while a batch's residents are inserted (the database indexes the
        residents on its own cores meanwhile)."""
        reader = SheetReader(self.path, self.job["format"])
        rows = reader.rows()
        columns = header_problems((await asyncio.to_thread(next, rows))[1])[0]
        written = 0
        self.progress("importing", 0, valid)
        upcoming = asyncio.ensure_future(asyncio.to_thread(self._sealed_batch, rows, columns))
        audit_write: asyncio.Future | None = None
        try:
            while batch := await upcoming:
                upcoming = asyncio.ensure_future(asyncio.to_thread(self._sealed_batch, rows, columns))
                docs = [doc for _row, doc in batch]
                try:
                    await self.p.residents.insert_many(docs)
                    inserted = docs
                except BulkWriteError as exc:
                    inserted = await self._after_conflicts(batch, exc)
                if audit_write is not None:
                    await audit_write
                audit_write = asyncio.ensure_future(self.p.audit.append_many(
                    [audit.entry(self.ctx, "create", "resident", d, ["import"], importJobId=self.job["_id"])
                     for d in inserted]))
                await self._emit_created(inserted)
                written += len(inserted)
                self.progress("importing", len(batch), 0)
                await self._set(importedRows=written, errorCount=self.error_count,
                                progress=round(0.5 + 0.5 * written / max(valid, 1), 4))
            if audit_write is not None:
                await audit_write
        finally:
            for pending in (upcoming, audit_write):
                if pending is not None and not pending.done():
                    pending.cancel()
        return written

    async def _emit_created(self, inserted: list[dict[str, Any]]) -> None:
        """`resident_created` for each written resident, as `createResident` emits it."""
        events = self.p.events
        if events is None:
            return
        for doc in inserted:
            await events.emit("resident_created", resident=doc)

    def _sealed_batch(self, rows: Iterator[tuple[int, list[Any]]], columns: list[Column | None]
                      ) -> list[tuple[int, dict[str, Any]]]:
        """The next batch of valid rows as sealed resident documents (a worker thread)."""
        out = []
        now = datetime.now(UTC)
        community = self.community
        while checked := self._checked_batch(rows, columns):
            for row, values, _problems, _h in checked:
                if row in self.bad_rows:
                    continue
                if "birthDate" in values:
                    values["birthDate"] = as_datetime_utc(values["birthDate"])
                doc = {"_id": new_id(), "communityId": community["_id"],
                       "regionPath": [*community.get("path", []), community["_id"]], "tags": [], "registered": True,
                       "relation": "self", "createdAt": now, "updatedAt": now, "version": 1,
                       "importJobId": self.job["_id"], **values}
                doc["householdId"] = doc["_id"]
                out.append((row, self.p.residents.seal(doc)))
            if len(out) >= BATCH:
                break
        return out

    async def _after_conflicts(self, batch: list[tuple[int, dict[str, Any]]], exc: BulkWriteError) -> list[dict]:
        """Rows refused by the unique ID index (created meanwhile) become errors; others re-raise."""
        failed = {e["index"] for e in exc.details.get("writeErrors", []) if e.get("code") == DUPLICATE_KEY}
        if len(failed) != len(exc.details.get("writeErrors", [])):
            raise exc
        errors = []
        for i in sorted(failed):
            errors += self._error_docs(batch[i][0], [(HEADER["idNumber"], "该身份证号已登记 (a resident with this ID "
                                                                         "number was created meanwhile)")])
        await self.errors.insert_many(errors)
        return [doc for i, (_row, doc) in enumerate(batch) if i not in failed]

    # -- job state ------------------------------------------------------------------------------
    async def _set(self, **changes: Any) -> None:
        updated = await self.jobs.update(self.job["_id"], {**changes, "updatedAt": datetime.now(UTC)})
        if updated is not None:
            self.job = updated

    async def _finish(self, status: str, **changes: Any) -> dict[str, Any]:
        now = datetime.now(UTC)
        updated = await self.jobs.update(self.job["_id"], {"status": status, "finishedAt": now, "updatedAt": now,
                                                           "progress": 1.0, **changes}, only_if_status=RUNNING)
        self.job = updated or self.job
        return self.job


__all__ = ["BATCH", "COLUMNS", "RUNNING", "ResidentImporter"]
