"""Wiring: the visits' indexes and the visibility of their photos."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from community_plus.keys import PLATFORM

from community_plus.platform import db as dbm
from community_plus.domains.visits.service import VisitRepositories, register_visit_files


def setup_visits(app: web.Application) -> None:
    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        platform = app[PLATFORM]
        repos = VisitRepositories.of(platform)
        await dbm.ensure_indexes(platform.db, {r.collection: r.indexes for r in repos.all()})
        register_visit_files(platform)
        yield

    app.cleanup_ctx.append(lifecycle)
