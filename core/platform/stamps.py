"""Exactly-once inserts under an `Idempotency-Key`.

While a mutation runs under a claimed key (see `graphql.idempotency`), every document it
inserts through `insert_once` carries a stamp: the claim, the collection and the insert's
ordinal in the request (`<claim>:<collection>:<n>`), under a unique index. If the first
attempt's outcome was lost (the database paused under it, the answer never left) and a retry
runs the mutation again, its inserts find the stamped documents of the first attempt and
return them instead of inserting twice: the retry answers with the records that exist.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

FIELD = "_stamp"
INDEX = IndexModel([(FIELD, ASCENDING)], unique=True, sparse=True, name="idempotency_stamp")
_CURRENT: ContextVar[tuple[str, dict[str, int]] | None] = ContextVar("idempotency_stamp", default=None)


def begin(claim: str) -> object:
    """Stamp this context's inserts for `claim`; returns a token for `end`."""
    return _CURRENT.set((claim, {}))


def end(token: object) -> None:
    _CURRENT.reset(token)  # type: ignore[arg-type]


def _next(collection: str) -> str | None:
    current = _CURRENT.get()
    if current is None:
        return None
    claim, counters = current
    n = counters[collection] = counters.get(collection, 0) + 1
    return f"{claim}:{collection}:{n}"


async def insert_once(coll: AsyncCollection, doc: dict[str, Any], session: Any = None) -> dict[str, Any]:
    """Insert `doc`, or return the document an earlier attempt of this request inserted."""
    stamp = _next(coll.name)
    if stamp is None:
        await coll.insert_one(doc, session=session)
        return doc
    doc = {**doc, FIELD: stamp}
    try:
        await coll.insert_one(doc, session=session)
        return doc
    except DuplicateKeyError as exc:
        if INDEX.document["name"] not in str(exc):
            raise
        existing = await coll.find_one({FIELD: stamp}, session=session)
        if existing is None:
            raise
        return existing
