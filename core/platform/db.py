"""The MongoDB connection (PyMongo's async API) and idempotent index creation.

Motor reached end of life in 2026; `pymongo.AsyncMongoClient` is its official successor.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from fnmatch import fnmatch

import pymongo
import structlog
from pymongo import AsyncMongoClient, IndexModel
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import ConnectionFailure, OperationFailure, PyMongoError
from pymongo.server_type import SERVER_TYPE
from community_plus.platform.sharding import shard_key_index

DEFAULT_DB = "community_plus"
log = structlog.get_logger("community_plus.platform.db")


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
        # the driver's monitor re-checks a lost server every second, so an `Outage` ends
        # (and requests flow again) about a second after the database is back
        "heartbeatFrequencyMS": 1000,
    }
    opts.update(options)
    return AsyncMongoClient(uri, **opts)


def database_of(client: AsyncMongoClient) -> AsyncDatabase:
    """The database named in the URI's path, or `community_plus`."""
    return client.get_default_database(default=DEFAULT_DB)


async def ensure_indexes(db: AsyncDatabase, indexes: dict[str, Iterable[IndexModel]]) -> None:
    """Create the declared indexes that do not exist yet (compared by name), and the shard-key
    index of each sharded collection (core/platform/sharding.py) unless a declared index
    starts with that key (or one with it is present)."""

    existing_collections = set(await db.list_collection_names())
    for collection, models in indexes.items():
        models = list(models)
        if not models:
            continue
        present: dict[str, tuple] = {}
        if collection in existing_collections:
            present = {ix["name"]: tuple(ix["key"].items()) async for ix in await db[collection].list_indexes()}
        shard = shard_key_index(collection)
        if shard is not None and not _serves_shard_key(shard, models, present):
            models.append(shard)
        taken = set(present.values())  # the same key under another name: creating it would fail
        missing = [m for m in models if m.document["name"] not in present
                   and tuple(m.document["key"].items()) not in taken]
        if missing:
            await _create_indexes(db[collection], missing)


def _serves_shard_key(shard: IndexModel, models: list[IndexModel], present: dict[str, tuple]) -> bool:
    """Whether an index `sh.shardCollection` can use is declared or present: one whose key
    starts with the shard key, and (declared) neither sparse nor partial."""
    key = tuple(shard.document["key"].items())
    plain = [tuple(m.document["key"].items()) for m in models
             if not m.document.get("sparse") and "partialFilterExpression" not in m.document]
    return any(k[:len(key)] == key for k in plain) or key in present.values() or shard.document["name"] in present


async def drop_retired_indexes(db: AsyncDatabase, retired: dict[str, Iterable[str]]) -> int:
    """Drop the indexes a release replaced (by collection, by name) where they exist; how many."""
    dropped = 0
    existing = set(await db.list_collection_names())
    for collection, names in retired.items():
        candidates = [collection] if "*" not in collection else sorted(c for c in existing if fnmatch(c, collection))
        for name in candidates:
            if name not in existing:
                continue
            present = {ix["name"] async for ix in await db[name].list_indexes()}
            for index in set(names) & present:
                await db[name].drop_index(index)
                dropped += 1
    return dropped


DUPLICATE_KEY = 11000  # a unique index (or `_id`) refused a write
_RACED = frozenset({68, 85, 86})  # IndexAlreadyExists, IndexOptionsConflict, IndexKeySpecsConflict


async def _create_indexes(coll: AsyncCollection, models: list[IndexModel]) -> None:
    """Create `models`; an index another worker created meanwhile (same name, same key) is
    done, not an error. `serve --workers N` starts its workers together, and the database
    refuses the second of two concurrent creations (e.g. a 2dsphere index, whose stored spec
    gains an index version) although both ask for the same index."""
    try:
        await coll.create_indexes(models)
        return
    except OperationFailure as exc:
        if exc.code not in _RACED:
            raise
    for model in models:  # one by one: which of them raced, and did the other side finish it?
        try:
            await coll.create_indexes([model])
        except OperationFailure as exc:
            present = {ix["name"]: tuple(ix["key"].items()) async for ix in await coll.list_indexes()}
            if exc.code not in _RACED or present.get(model.document["name"]) != tuple(model.document["key"].items()):
                raise


def down_error(client: AsyncMongoClient) -> Exception | None:
    """The error by which the driver's own monitor found every server unreachable (a failed
    heartbeat or operation, not merely "not checked yet"), else None."""
    servers = list(client.topology_description.server_descriptions().values())
    if servers and all(sd.server_type == SERVER_TYPE.Unknown and sd.error is not None for sd in servers):
        return servers[0].error
    return None


class Outage:
    """Requests answer 503 at once while the database has been known down for `grace` seconds.

    Without it every request would spend its whole budget waiting for a server (CSOT makes
    server selection wait for the remaining budget, not `serverSelectionTimeoutMS`). A blip
    shorter than `grace` (one dropped connection, a stepdown) is ridden out instead: the
    driver re-checks the server at once and the waiting requests go on.
    """

    def __init__(self, grace: float = 1.0, clock=time.monotonic) -> None:
        self.grace = grace
        self.clock = clock
        self.since: float | None = None

    def ongoing(self, client: AsyncMongoClient) -> bool:
        error = down_error(client)
        if error is None:
            if self.since is not None:
                log.info("database reachable again", down_seconds=round(self.clock() - self.since, 1))
            self.since = None
            return False
        if self.since is None:
            self.since = self.clock()
            log.warning("database unreachable", error=str(error)[:300])
        return self.clock() - self.since >= self.grace


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
