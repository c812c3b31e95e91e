"""Workers that start together create the same indexes at the same time: the database refuses
the second creation of some of them (e.g. a 2dsphere index) although both ask for the same
index. `ensure_indexes` takes that as done; a real conflict still fails."""

from __future__ import annotations

import asyncio

import pytest
from pymongo import GEOSPHERE, AsyncMongoClient, IndexModel
from pymongo.errors import OperationFailure

from community_plus.platform.db import _create_indexes, ensure_indexes
from community_plus.domains import repositories


async def test_workers_racing_to_create_every_index_all_start(db_uri):
    clients = [AsyncMongoClient(db_uri, tz_aware=True) for _ in range(2)]
    try:
        classes = [getattr(repositories, n) for n in repositories.__all__ if n not in ("Page", "Repository")]
        declared = {cls.collection: cls.indexes for cls in classes}
        for round_ in range(5):  # a fresh set of collections each round: both workers create them all
            indexes = {f"{name}_{round_}": models for name, models in declared.items()}
            await asyncio.gather(*(ensure_indexes(c.get_default_database(), indexes) for c in clients))
            db = clients[0].get_default_database()
            for name, models in indexes.items():
                present = {ix["name"] async for ix in await db[name].list_indexes()}
                assert {m.document["name"] for m in models} <= present, name
    finally:
        for c in clients:
            await c.close()


async def test_a_real_conflict_still_fails(db_uri):
    client = AsyncMongoClient(db_uri, tz_aware=True)
    try:
        db = client.get_default_database()
        await db["shapes"].create_indexes([IndexModel([("boundary", GEOSPHERE)], name="by_boundary")])
        with pytest.raises(OperationFailure):  # the same name for another key: not a race
            await _create_indexes(db["shapes"], [IndexModel([("area", 1)], name="by_boundary")])
    finally:
        await client.close()
