"""Wiring: indexes, the background runner (stopped at shutdown) and the template downloads
`GET /resident-import/template.xlsx` and `GET /resident-import/template.csv` (no login: they
hold only the headers and an example row)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from urllib.parse import quote

from aiohttp import web

from community_plus.keys import PLATFORM

from community_plus.platform import db as dbm
from community_plus.platform.tasks import stop_tasks
from community_plus.domains.resident_import.service import ImportRepositories, ImportRunner
from community_plus.domains.resident_import.sheets import template_csv, template_xlsx

TEMPLATE_NAME = "居民导入模板"
CONTENT_TYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                 "csv": "text/csv; charset=utf-8"}


async def template(request: web.Request) -> web.Response:
    fmt = request.match_info["fmt"]
    body = template_xlsx() if fmt == "xlsx" else template_csv()
    return web.Response(body=body, headers={
        "Content-Type": CONTENT_TYPES[fmt], "Cache-Control": "public, max-age=3600",
        "Content-Disposition": f"attachment; filename=residents-template.{fmt}; "
                               f"filename*=UTF-8''{quote(TEMPLATE_NAME)}.{fmt}"})


def setup_resident_import(app: web.Application) -> None:
    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        platform = app[PLATFORM]
        repos = ImportRepositories.of(platform)
        await dbm.ensure_indexes(platform.db, {r.collection: r.indexes for r in repos.all()})
        runner = platform.resident_import_runner = ImportRunner()
        yield
        await stop_tasks(list(runner.tasks))

    app.cleanup_ctx.append(lifecycle)
    app.router.add_get("/resident-import/template.{fmt:xlsx|csv}", template)
