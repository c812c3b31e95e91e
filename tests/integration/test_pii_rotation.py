"""Key rotation of personal data: batched, resumable after an interruption, lookups keep working."""

from __future__ import annotations

import base64
import os

from community_plus.platform import db as dbm
from community_plus.domains.platform import Platform
from community_plus.domains.residents.pii_rotation import remaining, rotate_pii
from community_plus.platform.repository import new_id


async def test_rotation_resumes_after_interruption(platform, world):
    old = platform.settings.pii_key_material
    new_key = base64.b64encode(os.urandom(32)).decode()
    rotated_settings = platform.settings.model_copy(update={"pii_key": f"k2:{new_key},k1:{old}"})
    client = dbm.connect(platform.settings.mongodb_uri)
    rotating = Platform(rotated_settings, client, dbm.database_of(client))
    sample = await platform.residents.coll.find_one({"phoneHash": {"$type": "string"}})
    phone = platform.residents.reveal(sample, "phone")
    idn = platform.residents.reveal(sample, "idNumber")
    no_pii = new_id()  # a resident registered without phone or ID number: nothing to rotate
    await platform.residents.coll.insert_one({"_id": no_pii, "communityId": sample["communityId"], "name": "无证"})
    total = await remaining(rotating)
    assert total == 24
    first = await rotate_pii(rotating, batch=5, max_batches=2)  # interrupted after two batches
    assert first == 10 and await remaining(rotating) == 14
    # mid-rotation: lookups by blind index find rows under either key
    assert [d["_id"] for d in await rotating.residents.find_by_phone(phone, {})] == [sample["_id"]]
    assert (await rotating.residents.find_by_id_number(idn))["_id"] == sample["_id"]
    assert await rotate_pii(rotating, batch=5) == 14  # resumed: only the rest
    assert await remaining(rotating) == 0 and await rotate_pii(rotating) == 0
    assert "pii" not in await rotating.residents.coll.find_one({"_id": no_pii})
    async for doc in rotating.residents.coll.find({"_id": {"$ne": no_pii}}):
        assert doc["pii"]["k"] == "k2" and doc["idNumberSealed"]["k"] == "k2"
        assert rotating.residents.reveal(doc, "idNumber")
    after = await rotating.residents.coll.find_one({"_id": sample["_id"]})
    assert rotating.residents.reveal(after, "phone") == phone and rotating.residents.reveal(after, "idNumber") == idn
    assert [d["_id"] for d in await rotating.residents.find_by_phone(phone, {})] == [sample["_id"]]
    await client.close()
