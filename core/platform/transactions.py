"""Multi-document changes run in a transaction, with PyMongo's `with_transaction` semantics
in a bounded time (`TIME_LIMIT`): a write conflict (TransientTransactionError, in the work or
at commit) runs the whole transaction again with jittered back-off; a commit whose result is
unknown (UnknownTransactionCommitResult) is committed again; work that raises the SDK's
`RetryTransaction` (a compare-and-set lost a race) runs again too. Past the time limit it
answers CONFLICT (`reason: BUSY`, retryable). A lost connection fails at once (the request
answers SERVICE_UNAVAILABLE in about the server-selection timeout instead of hanging, and the
client's retry with its idempotency key is safe). This is the one retry loop of the server:
`ctx.transaction` of modules runs on it."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

from pymongo import AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import ConnectionFailure, PyMongoError

from community_plus_sdk.errors import RetryTransaction
from community_plus.platform import stamps
from community_plus.platform.errors import Conflict

T = TypeVar("T")
TIME_LIMIT = 15.0  # seconds of retrying before answering BUSY (PyMongo's own limit is 120 s)
TRANSIENT, UNKNOWN_COMMIT = "TransientTransactionError", "UnknownTransactionCommitResult"


def _retryable(exc: BaseException) -> bool:
    if isinstance(exc, RetryTransaction):
        return True
    return isinstance(exc, PyMongoError) and not isinstance(exc, ConnectionFailure) and exc.has_error_label(TRANSIENT)


async def in_transaction(client: AsyncMongoClient, fn: Callable[[AsyncClientSession], Awaitable[T]],
                         time_limit: float = TIME_LIMIT) -> T:
    """Run `fn(session)` inside a transaction and commit it, retrying as described above."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    stamped = stamps.checkpoint()  # each run stamps its inserts as the first did
    async with client.start_session() as session:
        attempt = 0
        while True:
            stamps.rewind(stamped)
            if attempt:
                backoff = random.uniform(0, min(0.005 * 1.5 ** attempt, 0.5))
                if loop.time() + backoff - start > time_limit:
                    raise _busy()
                await asyncio.sleep(backoff)
            attempt += 1
            await session.start_transaction()
            try:
                result = await fn(session)
            except BaseException as exc:
                if session.in_transaction:
                    await session.abort_transaction()
                if _retryable(exc):
                    continue
                raise
            if await _commit(session, loop, start, time_limit):
                return result


async def _commit(session: AsyncClientSession, loop: asyncio.AbstractEventLoop, start: float,
                  time_limit: float) -> bool:
    """Commit; False when the whole transaction must run again."""
    while True:
        try:
            await session.commit_transaction()
            return True
        except ConnectionFailure:
            raise
        except PyMongoError as exc:
            if loop.time() - start > time_limit and (exc.has_error_label(UNKNOWN_COMMIT) or exc.has_error_label(TRANSIENT)):
                raise _busy() from exc
            if exc.has_error_label(UNKNOWN_COMMIT):
                continue  # the same commit again: committing twice is a no-op
            if exc.has_error_label(TRANSIENT):
                return False
            raise


def _busy() -> Exception:

    return Conflict("系统繁忙，请稍后重试 (too many concurrent changes to the same records: retry)",
                    reason="BUSY", retryable=True)
