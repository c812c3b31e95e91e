"""The MongoDB connection (PyMongo's async API) and idempotent index creation.

Motor reached end of life in 2026; `pymongo.AsyncMongoClient` is its official successor.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

import pymongo
from pymongo import AsyncMongoClient, IndexModel
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import ConnectionFailure, OperationFailure, PyMongoError
from pymongo.server_type import SERVER_TYPE

DEFAULT_DB = "community_plus"


def connect(uri: str, **options: object) -> AsyncMongoClient:
    """An async client with timeouts that fail fast when the database is down."""
    opts: dict[str, object] = {
        "serverSelectionTimeoutMS": 2000,
        "connectTimeoutMS": 3000,
        "tz_aware": True,
        "uuidRepresentation": "standard",
        # acknowledged means durable: on a majority and in the journal (a killed database
        # process loses nothing it acknowledged)
        "w": "majority",
        "journal": True,
        # the driver's monitor re-checks a lost server every second, so `known_down` clears
        # (and requests flow again) about a second after the database is back
        "heartbeatFrequencyMS": 1000,
    }
    opts.update(options)
    return AsyncMongoClient(uri, **opts)


def database_of(client: AsyncMongoClient) -> AsyncDatabase:
    """The database named in the URI's path, or `community_plus`."""
    return client.get_default_database(default=DEFAULT_DB)


async def ensure_indexes(db: AsyncDatabase, indexes: dict[str, Iterable[IndexModel]]) -> None:
    """Create the declared indexes that do not exist yet (compared by name)."""
    existing_collections = set(await db.list_collection_names())
    for collection, models in indexes.items():
        models = list(models)
        if not models:
            continue
        present: set[str] = set()
        if collection in existing_collections:
            present = {ix["name"] async for ix in await db[collection].list_indexes()}
        missing = [m for m in models if m.document["name"] not in present]
        if missing:
            await db[collection].create_indexes(missing)


def known_down(client: AsyncMongoClient) -> bool:
    """True when the driver's own monitor has found every server unreachable (a failed
    heartbeat or operation, not merely "not checked yet"). Requests then answer 503 at once
    instead of spending their whole budget waiting for a server (CSOT makes server selection
    wait for the remaining budget, not `serverSelectionTimeoutMS`)."""
    servers = client.topology_description.server_descriptions().values()
    return bool(servers) and all(sd.server_type == SERVER_TYPE.Unknown and sd.error is not None for sd in servers)


# server error codes of a primary stepping down or a node shutting down / recovering
_RESTARTING = frozenset({11600, 91, 189, 10107, 13435, 13436, 11602})


def is_unavailable(exc: BaseException) -> bool:
    """True when `exc` means "the database cannot answer right now" (retry later): a lost or
    refused connection, a timeout (the request's deadline or the server's `maxTimeMS`), or a
    driver-internal error that a dying connection leaves behind (e.g. PyMongo's async pool
    raising `RuntimeError: cannot wait on un-acquired lock` after a pause)."""
    if isinstance(exc, ConnectionFailure):
        return True
    if isinstance(exc, OperationFailure) and exc.code in _RESTARTING:
        return True
    if isinstance(exc, PyMongoError):
        return bool(exc.timeout) or exc.has_error_label("RetryableWriteError")
    if isinstance(exc, RuntimeError | OSError):
        tb = exc.__traceback__
        while tb is not None and tb.tb_next is not None:
            tb = tb.tb_next
        return tb is not None and "/pymongo/" in tb.tb_frame.f_code.co_filename
    return False


async def ping(client: AsyncMongoClient, timeout: float = 2.0) -> bool:
    """One `ping` under a short deadline: readiness must answer quickly, whatever the state."""
    try:
        with pymongo.timeout(timeout):
            async with asyncio.timeout(timeout + 1):
                await client.admin.command("ping")
        return True
    except (PyMongoError, TimeoutError, RuntimeError, OSError):
        return False
