"""GraphQL API of resident import: the template's columns, `importResidents` (a GraphQL
multipart upload that starts a job), and the jobs with their status, progress and problems."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import strawberry
from strawberry.file_uploads import Upload

from community_plus.platform.errors import BadUserInput
from community_plus_sdk.relay import DEFAULT_FIRST, Connection, connection
from community_plus.platform.context import Ctx
from community_plus.domains.media.spool import ReceivedFile
from community_plus.domains.resident_import.columns import COLUMNS
from community_plus.domains.resident_import.service import ResidentImportService, effective_status


@strawberry.enum(description="What to do with a file that has bad rows.")
class ResidentImportMode(enum.Enum):
    ALL_OR_NOTHING = "all_or_nothing"
    VALID_ROWS = "valid_rows"


@strawberry.enum(description="Where an import job is.")
class ResidentImportStatus(enum.Enum):
    QUEUED = "queued"
    VALIDATING = "validating"
    IMPORTING = "importing"
    VALIDATED = "validated"
    REJECTED = "rejected"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    INTERRUPTED = "interrupted"


@strawberry.type(description="A column of the import template.")
class ResidentImportColumn:
    header: str
    required: bool
    hint: str
    example: str


@strawberry.type(description="The import template: columns, and where to download it.")
class ResidentImportTemplate:
    columns: list[ResidentImportColumn]
    xlsx_url: str = strawberry.field(description="Relative URL of the XLSX template.")
    csv_url: str = strawberry.field(description="Relative URL of the CSV template (UTF-8 with BOM).")


@strawberry.type(description="One problem of one row: the spreadsheet row number (1 = header), column and reason.")
class ResidentImportError:
    id: strawberry.ID
    row: int
    column: str = strawberry.field(description="The column's header; empty for the whole row.")
    reason: str

    @classmethod
    def of(cls, d: dict[str, Any]) -> ResidentImportError:
        return cls(id=d["_id"], row=d["row"], column=d["column"], reason=d["reason"])


@strawberry.type(description="An import of residents from a CSV/XLSX file.")
class ResidentImportJob:
    id: strawberry.ID
    community_id: strawberry.ID
    file_name: str | None
    format: str = strawberry.field(description="csv or xlsx (decided from the content).")
    mode: ResidentImportMode
    dry_run: bool
    status: ResidentImportStatus
    total_rows: int | None = strawberry.field(description="Data rows in the file (known once checked).")
    processed_rows: int
    valid_rows: int
    imported_rows: int
    error_count: int
    progress: float = strawberry.field(description="0 to 1.")
    created_at: datetime
    finished_at: datetime | None
    failure: str | None
    doc: strawberry.Private[dict[str, Any]]

    @classmethod
    def of(cls, d: dict[str, Any]) -> ResidentImportJob:
        return cls(id=d["_id"], community_id=d["communityId"], file_name=d.get("fileName"), format=d["format"],
                   mode=ResidentImportMode(d["mode"]), dry_run=d["dryRun"],
                   status=ResidentImportStatus(effective_status(d)), total_rows=d.get("totalRows"),
                   processed_rows=d["processedRows"], valid_rows=d["validRows"], imported_rows=d["importedRows"],
                   error_count=d["errorCount"], progress=d["progress"], created_at=d["createdAt"],
                   finished_at=d.get("finishedAt"), failure=d.get("failure"), doc=d)

    @strawberry.field(description="Every problem found, in file order.")
    async def errors(self, info: Ctx, first: int = DEFAULT_FIRST,
                     after: str | None = None) -> Connection[ResidentImportError]:
        return connection(await ResidentImportService(info.context).errors(self.doc, first, after),
                          ResidentImportError.of)


@strawberry.type
class ResidentImportQuery:
    @strawberry.field(description="The resident import template's columns and download URLs.")
    def resident_import_template(self) -> ResidentImportTemplate:
        return ResidentImportTemplate(
            columns=[ResidentImportColumn(header=c.header, required=c.required, hint=c.hint, example=c.example)
                     for c in COLUMNS],
            xlsx_url="/resident-import/template.xlsx", csv_url="/resident-import/template.csv")

    @strawberry.field(description="An import job of a community in the viewer's scope (admins).")
    async def resident_import_job(self, info: Ctx, id: strawberry.ID) -> ResidentImportJob:
        return ResidentImportJob.of(await ResidentImportService(info.context).get(id))

    @strawberry.field(description="Import jobs of the viewer's communities, newest first (admins).")
    async def resident_import_jobs(self, info: Ctx, first: int = DEFAULT_FIRST,
                                   after: str | None = None) -> Connection[ResidentImportJob]:
        return connection(await ResidentImportService(info.context).list(first, after), ResidentImportJob.of)


@strawberry.type
class ResidentImportMutation:
    @strawberry.mutation(description="Upload a CSV/XLSX of residents (GraphQL multipart request) and start checking "
                                     "it; poll residentImportJob(id). Nothing is written on a dry run, nor when a "
                                     "row is bad unless mode is VALID_ROWS.")
    async def import_residents(self, info: Ctx, file: Upload, community_id: strawberry.ID | None = None,
                               mode: ResidentImportMode = ResidentImportMode.ALL_OR_NOTHING,
                               dry_run: bool = False) -> ResidentImportJob:
        if not isinstance(file, ReceivedFile):
            raise BadUserInput({"file": "请使用 multipart 请求上传文件 (send the file as a GraphQL multipart request)"})
        return ResidentImportJob.of(await ResidentImportService(info.context).start(file, community_id, mode.value,
                                                                                    dry_run))
