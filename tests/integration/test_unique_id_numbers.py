"""An ID number is registered once in the whole platform, across communities, without a
unique index on `residents` (a sharded collection's unique index must start with its shard
key): each resident's number is claimed in `unique_values`, with the write that sets it."""

from __future__ import annotations

import base64
import os

import pytest
from pymongo.errors import BulkWriteError

from community_plus.domains.opening import open_domains
from community_plus.domains.residents.pii_rotation import rotate_pii
from community_plus.platform import db as dbm
from community_plus.domains.platform import Platform
from community_plus.platform.repository import new_id
from community_plus.platform.upgrades import UpgradeRepository
from community_plus.platform.validation import id_check_digit

CREATE = "mutation($input: CreateResidentInput!) { createResident(input: $input) { id } }"
UPDATE = "mutation($id: ID!, $idn: String!) { updateResident(id: $id, input: {idNumber: $idn}) { id } }"
FIRST, SECOND = (f + id_check_digit(f) for f in ("32010219450312122", "32010219450312130"))


async def _claims(platform) -> dict[str, str]:
    """owner -> blind index, as stored in `unique_values`."""
    return {d["owner"]: d["_id"].split(":", 1)[1]
            async for d in platform.residents.unique.coll.find({"kind": "idNumber"})}


async def _hashes(platform) -> dict[str, str]:
    return {d["_id"]: d["idNumberHash"] async for d in platform.residents.coll.find(
        {"idNumberHash": {"$type": "string"}}, {"idNumberHash": 1})}


async def test_a_number_registered_in_one_community_is_refused_in_another(gql, world, platform):
    a, b = await gql.login("admin001"), await gql.login("admin002")
    first = (await gql.ok(CREATE, {"input": {"name": "甲", "idNumber": FIRST}}, token=a))["createResident"]["id"]
    err = await gql.error("CONFLICT", CREATE, {"input": {"name": "乙", "idNumber": FIRST}}, token=b)
    assert "已登记" in err["message"]
    other = (await gql.ok(CREATE, {"input": {"name": "乙", "idNumber": SECOND}}, token=b))["createResident"]["id"]
    await gql.error("CONFLICT", UPDATE, {"id": other, "idn": FIRST}, token=b)

    # the first resident's number changes: the old one is free again, the new one is theirs
    third = "32010219500101123" + id_check_digit("32010219500101123")
    await gql.ok(UPDATE, {"id": first, "idn": third}, token=a)
    await gql.ok(UPDATE, {"id": other, "idn": FIRST}, token=b)
    await gql.error("CONFLICT", CREATE, {"input": {"name": "丙", "idNumber": third}}, token=b)
    assert await _claims(platform) == await _hashes(platform)  # one claim per resident, none left over


async def test_a_batch_stores_the_free_rows_and_refuses_the_taken_ones(world, platform):
    taken = await platform.residents.coll.find_one({"idNumberHash": {"$type": "string"}})
    c2 = world["communities"][1]
    fresh = platform.residents.seal({"_id": new_id(), "communityId": c2["_id"], "name": "新", "idNumber": SECOND})
    clash = platform.residents.seal({"_id": new_id(), "communityId": c2["_id"], "name": "重",
                                     "idNumber": platform.residents.reveal(taken, "idNumber")})
    with pytest.raises(BulkWriteError) as refused:
        await platform.residents.insert_many([clash, fresh])
    assert [(e["index"], e["code"]) for e in refused.value.details["writeErrors"]] == [(0, 11000)]
    assert await platform.residents.coll.count_documents({"_id": {"$in": [clash["_id"], fresh["_id"]]}}) == 1
    assert await _claims(platform) == await _hashes(platform)


async def test_one_number_twice_in_a_batch_stores_the_first_row_only(world, platform):
    c2 = world["communities"][1]
    rows = [platform.residents.seal({"_id": new_id(), "communityId": c2["_id"], "name": n, "idNumber": SECOND})
            for n in ("前", "后")]
    with pytest.raises(BulkWriteError) as refused:
        await platform.residents.insert_many(rows)
    assert [(e["index"], e["code"]) for e in refused.value.details["writeErrors"]] == [(1, 11000)]
    stored = await platform.residents.coll.find({"_id": {"$in": [r["_id"] for r in rows]}}).to_list()
    assert [r["name"] for r in stored] == ["前"]
    assert await _claims(platform) == await _hashes(platform)


async def test_claims_follow_key_rotation_and_are_backfilled_once(gql, world, platform):
    old = platform.settings.pii_key_material
    settings = platform.settings.model_copy(update={"pii_key": f"k2:{base64.b64encode(os.urandom(32)).decode()},k1:{old}"})
    client = dbm.connect(platform.settings.mongodb_uri)
    try:
        rotating = Platform(settings, client, dbm.database_of(client))
        before = await _hashes(rotating)
        assert await rotate_pii(rotating, batch=7) == len(before) > 0
        after = await _hashes(rotating)
        assert set(after.values()).isdisjoint(before.values())  # every number under the new key
        assert await _claims(rotating) == after

        # residents stored before claims existed (the last release): claimed once at start-up
        await rotating.residents.unique.coll.delete_many({})
        await UpgradeRepository(rotating.db).coll.delete_many({"_id": "residents.id_number_claims"})
        await open_domains(rotating)
        assert await _claims(rotating) == after
        await rotating.residents.unique.coll.delete_many({})  # batch by batch along `_id`
        assert await rotating.residents.claim_stored_id_numbers(batch=3) == await rotating.residents.coll.count_documents({})
        assert await _claims(rotating) == after
    finally:
        await client.close()


async def test_an_upgraded_database_loses_the_unique_indexes_that_block_sharding(world, platform):
    """The indexes of the last release that did not start with the shard key are dropped at the
    first start, and the ones replacing them (same key, another name) created."""
    visits = platform.db["hotline_return_visits"]
    await visits.drop_indexes()
    await visits.create_index("workOrderId", unique=True, name="one_visit_per_order")
    await visits.create_index([("communityId", 1), ("workOrderId", 1)])  # the old plain one
    await platform.residents.coll.drop_index("idNumberHash_lookup")
    await platform.residents.coll.create_index("idNumberHash", unique=True, sparse=True, name="idNumberHash_unique")
    await UpgradeRepository(platform.db).coll.delete_many({"_id": "indexes.shardable_unique"})

    await open_domains(platform)
    names = {ix["name"]: ix async for ix in await visits.list_indexes()}
    assert "one_visit_per_order" not in names and "communityId_1_workOrderId_1" not in names
    assert names["one_visit_per_order_of_community"]["unique"]
    names = {ix["name"] async for ix in await platform.residents.coll.list_indexes()}
    assert "idNumberHash_unique" not in names and "idNumberHash_lookup" in names
