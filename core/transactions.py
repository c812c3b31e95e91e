"""Multi-document changes run in a transaction. Write conflicts (TransientTransactionError)
are retried a few times with back-off; a lost connection fails at once (the request answers
SERVICE_UNAVAILABLE in about the server-selection timeout instead of hanging, and the
client's retry with its idempotency key is safe)."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

from pymongo import AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import ConnectionFailure, PyMongoError

T = TypeVar("T")
ATTEMPTS = 10


async def in_transaction(client: AsyncMongoClient, fn: Callable[[AsyncClientSession], Awaitable[T]]) -> T:
    """Run `fn(session)` inside a transaction and commit it."""
    async with client.start_session() as session:
        for attempt in range(ATTEMPTS):
            try:
                async with await session.start_transaction():
                    result = await fn(session)
                return result
            except ConnectionFailure:
                raise
            except PyMongoError as exc:
                if exc.has_error_label("TransientTransactionError"):
                    if attempt == ATTEMPTS - 1:
                        raise _busy() from exc
                    await asyncio.sleep(random.uniform(0, min(0.01 * 2 ** attempt, 0.5)))
                    continue
                raise
    raise AssertionError("unreachable")


def _busy() -> Exception:
    from .errors import Conflict

    return Conflict("系统繁忙，请稍后重试 (too many concurrent changes to the same records: retry)", retryable=True)
