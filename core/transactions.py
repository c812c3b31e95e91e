"""Multi-document changes run in a transaction, retried on transient conflicts."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from pymongo import AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession

T = TypeVar("T")


async def in_transaction(client: AsyncMongoClient, fn: Callable[[AsyncClientSession], Awaitable[T]]) -> T:
    """Run `fn(session)` inside a transaction; PyMongo retries TransientTransactionError and
    UnknownTransactionCommitResult for us (`with_transaction`)."""
    async with client.start_session() as session:
        return await session.with_transaction(fn)
