"""Exactly-once inserts under an Idempotency-Key (`stamps.insert_once`): a re-run of the same
claimed request finds what the first attempt stored, also when it inserts inside a
transaction (hotline calls, linkage hops, module records), where a duplicate-key error would
have aborted the transaction under the lookup."""

from __future__ import annotations

from community_plus_sdk.errors import RetryTransaction

from community_plus.platform import stamps
from community_plus.platform.repository import new_id
from community_plus.platform.transactions import in_transaction


async def _attempt(platform, coll, claim: str, with_transaction: bool) -> list[dict]:
    """One run of a request under `claim` that inserts two documents."""
    async def body(session=None) -> list[dict]:
        return [await stamps.insert_once(coll, {"_id": new_id(), "n": n}, session) for n in (1, 2)]

    token = stamps.begin(claim)
    try:
        return await (in_transaction(platform.client, body, time_limit=3.0) if with_transaction else body())
    finally:
        stamps.end(token)


async def test_a_rerun_returns_the_first_attempts_documents(platform):
    for with_transaction in (False, True):
        coll = platform.db[f"stamp_probe_{int(with_transaction)}"]
        await coll.create_indexes([stamps.INDEX])
        first = await _attempt(platform, coll, "claim-a", with_transaction)
        again = await _attempt(platform, coll, "claim-a", with_transaction)
        assert [d["_id"] for d in again] == [d["_id"] for d in first], with_transaction
        other = await _attempt(platform, coll, "claim-b", with_transaction)  # another request: new documents
        assert {d["_id"] for d in other}.isdisjoint(d["_id"] for d in first)
        assert await coll.count_documents({}) == 4


async def test_a_transaction_run_again_stamps_its_inserts_as_the_first_run(platform):
    """A write conflict runs the transaction again; its inserts must carry the stamps a re-run
    of the request will look for (not the next ordinals), or the re-run inserts twice."""
    coll = platform.db["stamp_probe_retry"]
    await coll.create_indexes([stamps.INDEX])
    runs = 0

    async def conflicted_once(session) -> list[dict]:
        nonlocal runs
        docs = [await stamps.insert_once(coll, {"_id": new_id(), "n": n}, session) for n in (1, 2)]
        runs += 1
        if runs == 1:
            raise RetryTransaction()  # as a lost compare-and-set or a write conflict does
        return docs

    token = stamps.begin("claim-c")
    try:
        first = await in_transaction(platform.client, conflicted_once, time_limit=3.0)
    finally:
        stamps.end(token)
    assert runs == 2 and [d[stamps.FIELD] for d in first] == [f"claim-c:{coll.name}:1", f"claim-c:{coll.name}:2"]
    again = await _attempt(platform, coll, "claim-c", with_transaction=True)
    assert [d["_id"] for d in again] == [d["_id"] for d in first]
    assert await coll.count_documents({}) == 2
