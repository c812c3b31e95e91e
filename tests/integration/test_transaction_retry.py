"""The one transaction retry loop (`in_transaction`, behind modules' `ctx.transaction`): real
write conflicts between concurrent transactions rerun the loser, `RetryTransaction` reruns
the work, other errors abort at once, and retrying stops at the time limit with BUSY."""

from __future__ import annotations

import asyncio

import pytest
from pymongo import AsyncMongoClient

from community_plus.platform.errors import Conflict
from community_plus.platform.transactions import in_transaction
from community_plus_sdk import RetryTransaction


@pytest.fixture
async def client(db_uri):
    c = AsyncMongoClient(db_uri)
    yield c
    await c.close()


async def test_concurrent_writers_to_one_row_all_commit(client):
    coll = client.get_default_database()["counters"]
    await coll.insert_one({"_id": "c", "n": 0})
    waiting, both_read, attempts = [2], asyncio.Event(), []

    async def bump(session):
        attempts.append(1)
        await coll.find_one({"_id": "c"}, session=session)
        if waiting[0]:  # the first attempts both read before either writes: a real write conflict
            waiting[0] -= 1
            if not waiting[0]:
                both_read.set()
            await both_read.wait()
        await coll.update_one({"_id": "c"}, {"$inc": {"n": 1}}, session=session)

    await asyncio.gather(in_transaction(client, bump), in_transaction(client, bump))
    assert (await coll.find_one({"_id": "c"}))["n"] == 2
    assert len(attempts) > 2  # the loser ran again


async def test_retry_transaction_reruns_the_work_and_commits_once(client):
    coll = client.get_default_database()["orders"]
    attempts = []

    async def place(session):
        attempts.append(1)
        await coll.insert_one({"attempt": len(attempts)}, session=session)
        if len(attempts) < 3:
            raise RetryTransaction()  # a lost compare-and-set: the attempt's insert is rolled back
        return "placed"

    assert await in_transaction(client, place) == "placed"
    assert len(attempts) == 3
    assert [d["attempt"] async for d in coll.find({}, {"_id": 0})] == [3]


async def test_other_errors_abort_without_retrying(client):
    coll = client.get_default_database()["orders"]
    attempts = []

    async def refuse(session):
        attempts.append(1)
        await coll.insert_one({"x": 1}, session=session)
        raise ValueError("no")

    with pytest.raises(ValueError):
        await in_transaction(client, refuse)
    assert attempts == [1] and await coll.count_documents({}) == 0


async def test_retrying_stops_at_the_time_limit_with_busy(client):
    async def always_races(session):
        raise RetryTransaction()

    with pytest.raises(Conflict) as caught:
        await in_transaction(client, always_races, time_limit=0.05)
    assert caught.value.extensions["reason"] == "BUSY" and caught.value.extensions["retryable"] is True
