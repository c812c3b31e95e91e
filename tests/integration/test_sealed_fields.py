"""Sealed fields in the module datastore: nothing readable at rest, lookups by the full number
through the blind index, masked reads, and a masked value written back changes nothing."""

from __future__ import annotations

from bson import encode

from community_plus.modules.datastore_repository import AllCommunities, CommunityCollection
from community_plus.modules.sealing import Sealer


async def test_sealed_rows_round_trip_and_are_found_by_their_blind_index(platform, world):
    c1, c2 = (c["_id"] for c in world["communities"])
    raw = platform.db["sealtest__people"]
    sealer = Sealer.of(platform.keyring, "sealtest", "people", ("phone",))
    people, others = (CommunityCollection(raw, c, "sealtest", sealer=sealer) for c in (c1, c2))
    row = await people.insert({"name": "张三", "phone": "138-1234-5678"})
    await people.insert({"name": "李四", "phone": "13900001111"})
    await others.insert({"name": "王五", "phone": "13812345678"})  # the same number in another community
    assert row["phone"] == "138****5678" and "phoneSealed" not in row and "phoneHash" not in row
    for doc in await raw.find({}).to_list():
        assert b"13812345678" not in encode(doc) and b"13900001111" not in encode(doc)
    # equality, $eq and $in look up the blind index, within the community only
    for condition in ("13812345678", "138 1234 5678", {"$eq": "13812345678"}, {"$in": ["13812345678", "1"]}):
        found = await people.find({"phone": condition})
        assert [r["name"] for r in found] == ["张三"], condition
    assert await people.count({"$or": [{"phone": "13900001111"}, {"name": "张三"}]}) == 2
    assert await people.find_one({"phone": "13700000000"}) is None
    # a masked value written back keeps the number; a new number replaces it; None clears it
    await people.update({"_id": row["_id"]}, {"phone": "138****5678", "name": "张三丰"})
    assert (await people.reveal(row["_id"], "phone"))[1] == "13812345678"
    changed = await people.update({"phone": "13812345678"}, {"phone": "13687654321"})
    assert changed["phone"] == "136****4321" and (await people.reveal(row["_id"], "phone"))[1] == "13687654321"
    await people.update({"_id": row["_id"]}, {"phone": None})
    assert (await people.reveal(row["_id"], "phone"))[1] is None
    assert (await others.reveal(row["_id"], "phone")) is None  # another community's row is not there


async def test_seal_existing_encrypts_legacy_plaintext_once(platform, world):
    c1 = world["communities"][0]["_id"]
    raw = platform.db["sealtest__legacy"]
    await raw.insert_many([{"_id": "a", "communityId": c1, "phone": "13811112222"},
                           {"_id": "b", "communityId": c1, "phone": None},
                           {"_id": "c", "communityId": c1, "phone": "138****3333"}])  # only a mask survived
    legacy = AllCommunities(raw, Sealer.of(platform.keyring, "sealtest", "legacy", ("phone",)))
    assert await legacy.seal_existing() == 2
    assert await legacy.seal_existing() == 0
    docs = {d["_id"]: d async for d in raw.find({})}
    assert b"13811112222" not in encode(docs["a"]) and docs["a"]["phone"] == "138****2222"
    assert docs["c"]["phone"] == "138****3333" and docs["c"]["phoneSealed"] is None
    scoped = CommunityCollection(raw, c1, "sealtest", sealer=legacy.sealer)
    assert (await scoped.reveal("a", "phone"))[1] == "13811112222"
    assert [r["_id"] for r in await scoped.find({"phone": "13811112222"})] == ["a"]
