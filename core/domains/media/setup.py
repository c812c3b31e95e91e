"""`setup_media(app)`: wires media into the app (called once by `create_app`).

It registers the routes (`POST /upload`; the local backend's `/media/…`), the spool used by
uploads, and a cleanup context that runs after the database context: it opens the storage
backend chosen by the settings, publishes it as `platform.storage` (with the
`files` repository and its indexes, and the image worker lanes as `media_images`), adds a
`storage` readiness probe to `/readyz` and starts the periodic orphan sweep, cancelled on
shutdown (the image lanes are shut down then too).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from aiohttp import web

from community_plus.platform.tasks import bounded, stop_tasks

from community_plus.platform import db as dbm
from community_plus.domains.media.orphans import sweep_forever
from community_plus.domains.media.policy import MAX_UPLOAD_BYTES
from community_plus.domains.media.repository import FileRepository
from community_plus.domains.media.routes import add_routes
from community_plus.domains.media.spool import Spool
from community_plus.domains.media.state import MediaState
from community_plus.keys import MEDIA, PLATFORM, SETTINGS
from community_plus.domains.media.local_storage import LocalStorage
from community_plus.domains.media.s3_storage import S3Storage
from community_plus.domains.media.storage import Storage, media_root
from community_plus.domains.media.workers import ImageWorkers
from community_plus.settings import ConfigurationError

if TYPE_CHECKING:
    from community_plus.domains.platform import Platform
    from community_plus.settings import Settings


def create_storage(settings: Settings) -> Storage:
    """The backend chosen by `CP_STORAGE` (`local`, the default, or `s3`). Here, in the wiring, not
    in the interface both backends import (that was an import circle)."""
    if settings.storage == "s3":
        missing = [n for n, v in (("CP_S3_ENDPOINT", settings.s3_endpoint), ("CP_S3_ACCESS_KEY", settings.s3_access_key),
                                  ("CP_S3_SECRET_KEY", settings.s3_secret_key)) if not v]
        if missing:
            raise ConfigurationError(f"{', '.join(missing)} must be set when CP_STORAGE=s3")
        return S3Storage.from_settings(settings)
    return LocalStorage(media_root(settings) / "objects", settings.signing_key)


def spool_for(settings: Settings) -> Spool:
    return Spool(media_root(settings) / "tmp", MAX_UPLOAD_BYTES)


async def open_media(platform: Platform, storage: Storage | None = None) -> Storage:
    """Open the storage backend and set media's parts on the platform (`storage`, `files`, `media_spool`, `media_images`) (also used by the CLI)."""
    settings = platform.settings
    spool = spool_for(settings)
    await asyncio.to_thread(spool.ensure)
    storage = storage or create_storage(settings)
    await storage.open()
    files = FileRepository(platform.db)
    await dbm.ensure_indexes(platform.db, {files.collection: files.indexes})
    platform.storage = storage
    platform.files = files
    platform.media_spool = spool
    platform.media_images = ImageWorkers(settings.image_workers, settings.image_queue_seconds)
    platform.readiness["storage"] = storage.healthy
    return storage


def setup_media(app: web.Application) -> None:
    """Add media's routes and its cleanup context (after the database's)."""
    settings = app[SETTINGS]
    state = app[MEDIA] = MediaState(spool_for(settings))
    storage = create_storage(settings)  # no I/O yet: a configuration error surfaces here, early

    async def media_context(app: web.Application) -> AsyncIterator[None]:
        platform = app[PLATFORM]
        await open_media(platform, storage)
        state.platform = platform
        sweeper = None
        if getattr(settings, "background_jobs", True):  # CP_BACKGROUND_JOBS=false: run the CLI instead
            sweeper = asyncio.create_task(sweep_forever(platform), name="media-orphan-sweep")
        yield
        await stop_tasks([sweeper])
        platform.media_images.close()
        await bounded(storage.close(), "close storage")
        state.platform = None

    app.cleanup_ctx.append(media_context)
    add_routes(app, local=settings.storage == "local")
