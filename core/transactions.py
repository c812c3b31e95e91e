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
ATTEMPTS = 6


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
                if exc.has_error_label("TransientTransactionError") and attempt < ATTEMPTS - 1:
                    await asyncio.sleep(random.uniform(0, 0.01 * 2 ** attempt))
                    continue
                raise
    raise AssertionError("unreachable")
