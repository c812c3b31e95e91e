"""Resident export: `GET /export/residents.csv` and `/export/residents.xlsx` (admins).

The rows are the residents of the caller's scope (`communityId=` or `X-Community-Id` narrows a
region admin's to one community), read in `_id` order in batches and written as they come (CSV
streams; XLSX is built by openpyxl's write-only workbook in a temporary file, then streamed).
Phones and ID numbers are masked (138****5678) unless `unmasked=1` is asked for by a role
that may reveal them (community admins, as for `Resident.phone(reveal)`); every export is
audited (`export_residents`: format, row count, masked or not).
"""

from __future__ import annotations

import asyncio
import csv
import io
import tempfile
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from community_plus.keys import PLATFORM

from community_plus.platform.context import RequestContext
from community_plus.platform.errors import AppError, BadUserInput, Forbidden
from community_plus.platform.repository import Repository
from community_plus.domains.audit import service as audit
from community_plus.domains.residents.service import REVEAL_ROLES, ResidentService
from community_plus.keys import REQUEST_ID, SCOPE
from community_plus.domains.media.routes import error_response

ADMINS = ("platform_admin", "region_admin", "community_admin")
BATCH = 500
HEADERS = ["姓名", "性别", "出生日期", "社区", "网格", "地址", "户籍", "标签", "手机号", "身份证号"]
GENDER = {"male": "男", "female": "女"}
TAGS = {"elderly": "老年人", "child": "儿童", "disabled": "残疾人", "low_income": "低收入", "left_behind": "留守人员",
        "veteran": "退役军人", "new_citizen": "新市民", "living_alone": "独居", "special_care": "特殊关爱"}


class ResidentExportReader(Repository):
    collection = "residents"  # indexes: the core ResidentRepository's (communityId|regionPath, _id)

    async def batches(self, query: dict[str, Any], size: int = BATCH) -> AsyncIterator[list[dict[str, Any]]]:
        batch: list[dict[str, Any]] = []
        async for doc in self.coll.find(query).sort("_id", 1).batch_size(size):
            batch.append(doc)
            if len(batch) >= size:
                yield batch
                batch = []
        if batch:
            yield batch


def _row(ctx: RequestContext, d: dict[str, Any], names: dict[str, str], unmasked: bool) -> list[str]:
    addr = d.get("address") or {}
    bd = d.get("birthDate")
    reveal = ctx.platform.residents.reveal
    return [d.get("name", ""), GENDER.get(d.get("gender") or "", ""), bd.date().isoformat() if bd else "",
            names.get(d.get("communityId") or "", ""), names.get(d.get("gridId") or "", ""),
            "".join(str(addr.get(k) or "") for k in ("building", "unit", "room", "detail")),
            "是" if d.get("registered", True) else "否", "、".join(TAGS.get(t, t) for t in d.get("tags") or []),
            (reveal(d, "phone") if unmasked else d.get("phoneMasked")) or "",
            (reveal(d, "idNumber") if unmasked else d.get("idNumberMasked")) or ""]


async def _context(request: web.Request, platform: Any) -> tuple[RequestContext, dict[str, Any] | None]:
    scope = request[SCOPE]
    scope.require_role(*ADMINS)
    ctx = RequestContext(platform=platform, scope=scope, request_id=request[REQUEST_ID],
                         request=request)
    cid = request.query.get("communityId") or request.headers.get("X-Community-Id")
    community = None
    if cid:
        community = await ctx.platform.regions.get(cid)
        if community is None or community.get("level") != "community" or not scope.covers_community(community):
            raise Forbidden("该社区不在您的管辖范围 (community outside your scope)")
        scope.community_id = cid
    elif scope.principal.role == "community_admin":
        scope.community_id = scope.principal.community_id
        community = await ctx.platform.regions.get(scope.community_id)
    return ctx, community


async def export_residents(request: web.Request, platform: Any) -> web.StreamResponse:

    fmt = request.match_info["format"]
    try:
        ctx, community = await _context(request, platform)
        unmasked = request.query.get("unmasked") in ("1", "true")
        if unmasked and ctx.scope.principal.role not in REVEAL_ROLES:
            raise Forbidden("无权导出完整的手机号和身份证号 (your role may only export masked values)")
        if fmt not in ("csv", "xlsx"):
            raise BadUserInput({"format": "仅支持 csv 或 xlsx (csv or xlsx)"})
        query = ResidentService(ctx).list_filter({})
        names = await ctx.platform.grids.names(ctx.scope.grid_filter()) | \
            await ctx.platform.regions.community_names(ctx.scope.community_id)
    except AppError as exc:
        return error_response(exc, request)
    reader = ResidentExportReader(ctx.platform.db)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    response = web.StreamResponse(headers={
        "Content-Type": "text/csv; charset=utf-8" if fmt == "csv"
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "Content-Disposition": f'attachment; filename="residents-{stamp}.{fmt}"', "Cache-Control": "no-store"})
    count = 0
    if fmt == "csv":
        await response.prepare(request)
        await response.write("\ufeff".encode())  # a BOM: Excel then reads the file as UTF-8
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(HEADERS)
        async for batch in reader.batches(query):
            for d in batch:
                writer.writerow(_row(ctx, d, names, unmasked))
            count += len(batch)
            await response.write(buf.getvalue().encode())
            buf.seek(0)
            buf.truncate()
        await response.write(buf.getvalue().encode())
    else:
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet("居民")
        sheet.append(HEADERS)
        async for batch in reader.batches(query):
            for d in batch:
                sheet.append(_row(ctx, d, names, unmasked))
            count += len(batch)
        with tempfile.TemporaryFile() as f:
            await asyncio.to_thread(book.save, f)
            f.seek(0)
            await response.prepare(request)
            while chunk := f.read(64 * 1024):
                await response.write(chunk)
    await audit.record(ctx, "export_residents", "resident", {
        "_id": f"export:{ctx.scope.community_id or ctx.scope.principal.region_id or 'all'}",
        "communityId": ctx.scope.community_id, "regionPath": list((community or {}).get("path", [])) or
        ([ctx.scope.principal.region_id] if ctx.scope.principal.region_id else [])},
        ["phone", "idNumber"] if unmasked else [], format=fmt, rows=count, unmasked=unmasked)
    await response.write_eof()
    return response


def setup_resident_export(app: web.Application) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        return await export_residents(request, request.app[PLATFORM])

    app.router.add_get("/export/residents.{format}", handler)
