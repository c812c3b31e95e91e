"""Wiring: the invitations' indexes."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from community_plus.keys import PLATFORM

from community_plus.platform import db as dbm
from community_plus.domains.staff_invitations.service import repository


def setup_staff_invitations(app: web.Application) -> None:
    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        repo = repository(app[PLATFORM])
        await dbm.ensure_indexes(repo.db, {repo.collection: repo.indexes})
        yield

    app.cleanup_ctx.append(lifecycle)
