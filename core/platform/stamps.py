"""Exactly-once inserts under an `Idempotency-Key`.

While a mutation runs under a claimed key (see `graphql.idempotency`), every document it
inserts through `insert_once` carries a stamp: the claim, the collection and the insert's
ordinal in the request (`<claim>:<collection>:<n>`), under a unique index. If the first
attempt's outcome was lost (the database paused under it, the answer never left) and a retry
runs the mutation again, its inserts find the stamped documents of the first attempt and
return them instead of inserting twice: the retry answers with the records that exist.

Every insert of the server goes through `insert` / `insert_all`: a write the driver retried
after it had landed is not mistaken for a duplicate (see `insert`).
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

import bson
from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError, DuplicateKeyError

from community_plus.platform.db import DUPLICATE_KEY
from community_plus_sdk.errors import RetryTransaction

FIELD = "_stamp"
# Unique per community (a stamped document lives in the community it names): a unique index of a
# sharded collection must start with the shard key (platform/sharding.py).
INDEX = IndexModel([("communityId", ASCENDING), (FIELD, ASCENDING)], unique=True,
                   partialFilterExpression={FIELD: {"$exists": True}}, name="idempotency_stamp_of_community")
_CURRENT: ContextVar[tuple[str, dict[str, int]] | None] = ContextVar("idempotency_stamp", default=None)


def begin(claim: str) -> object:
    """Stamp this context's inserts for `claim`; returns a token for `end`."""
    return _CURRENT.set((claim, {}))


def end(token: object) -> None:
    _CURRENT.reset(token)  # type: ignore[arg-type]


def checkpoint() -> dict[str, int] | None:
    """Where this context's stamps stand; `rewind` to it before a transaction runs again, so
    that every run of the same work stamps its inserts alike."""
    current = _CURRENT.get()
    return None if current is None else dict(current[1])


def rewind(mark: dict[str, int] | None) -> None:
    current = _CURRENT.get()
    if current is not None and mark is not None:
        current[1].clear()
        current[1].update(mark)


def _next(collection: str) -> str | None:
    current = _CURRENT.get()
    if current is None:
        return None
    claim, counters = current
    n = counters[collection] = counters.get(collection, 0) + 1
    return f"{claim}:{collection}:{n}"


async def insert_once(coll: AsyncCollection, doc: dict[str, Any], session: Any = None) -> dict[str, Any]:
    """Insert `doc`, or return the document an earlier attempt of this request inserted.

    Inside a transaction the stamp is looked up first: a duplicate-key error would abort the
    transaction under the lookup. A duplicate met there anyway (an attempt committed in
    between) runs the transaction again, and that run finds the document."""
    stamp = _next(coll.name)
    if stamp is None:
        await insert(coll, doc, session)
        return doc
    if _in_transaction(session):
        existing = await coll.find_one({"communityId": doc.get("communityId"), FIELD: stamp}, session=session)
        if existing is not None:
            return existing
    doc = {**doc, FIELD: stamp}
    try:
        await insert(coll, doc, session)
        return doc
    except DuplicateKeyError as exc:
        if INDEX.document["name"] not in str(exc):
            raise
        if _in_transaction(session):
            raise RetryTransaction() from exc
        existing = await coll.find_one({"communityId": doc.get("communityId"), FIELD: stamp}, session=session)
        if existing is None:
            raise
        return existing


async def insert(coll: AsyncCollection, doc: dict[str, Any], session: Any = None) -> None:
    """`insert_one` that survives the driver retrying a write which had landed.

    PyMongo retries a write once when the connection drops under it; a server that does not
    recognise the retry (SecantusDB after a pause or a restart) then refuses it as a duplicate
    of the very document the first attempt stored. A duplicate whose stored document is
    exactly `doc` is that first attempt: the insert succeeded. Any other duplicate is raised.
    Inside a transaction the driver retries no single write, and the failed write has aborted
    the transaction: the duplicate is raised as it is."""
    try:
        await coll.insert_one(doc, session=session)
    except DuplicateKeyError:
        if _in_transaction(session) or not await _landed(coll, [doc], session):
            raise


async def insert_all(coll: AsyncCollection, docs: list[dict[str, Any]], session: Any = None,
                     ordered: bool = False) -> None:
    """`insert_many` with the same tolerance as `insert`, document by document."""
    if not docs:
        return
    try:
        await coll.insert_many(docs, ordered=ordered, session=session)
    except BulkWriteError as exc:
        errors = exc.details.get("writeErrors", [])
        if _in_transaction(session) or not errors or any(e.get("code") != DUPLICATE_KEY for e in errors):
            raise
        if not await _landed(coll, [docs[e["index"]] for e in errors], session):
            raise
        if ordered:  # the batch stopped at its first (benign) duplicate: insert what follows
            await insert_all(coll, docs[errors[0]["index"] + 1:], session, ordered)




def _in_transaction(session: Any) -> bool:
    return session is not None and session.in_transaction


async def _landed(coll: AsyncCollection, docs: list[dict[str, Any]], session: Any) -> bool:
    """True when every one of `docs` is stored exactly (an earlier attempt's write)."""
    ids = [d.get("_id") for d in docs]
    if any(i is None for i in ids):
        return False
    stored = {d["_id"]: d for d in await coll.find({"_id": {"$in": ids}}, session=session).to_list()}
    options = coll.codec_options
    return all(d["_id"] in stored and bson.decode(bson.encode(d, codec_options=options), options) == stored[d["_id"]]
               for d in docs)
