"""People's phone numbers — providers' contacts, care workers, elders' contact numbers — are
encrypted at rest, read back masked, and revealed in full only to those who need them (audited)."""

from __future__ import annotations

from datetime import UTC, datetime

from bson import encode

PROVIDER = "query($id: ID!) { careProvider(id: $id) { contactPhone } }"
PROVIDER_REVEAL = "query($id: ID!) { careProvider(id: $id) { contactPhone(reveal: true) } }"
WORKERS = "{ careWorkers { edges { node { id phone } } } }"
WORKER_REVEAL = "{ careWorkers { edges { node { id phone(reveal: true) } } } }"
MINE_REVEAL = "{ myCareWorkerRecords { phone(reveal: true) } }"
ELDER = "query($id: ID!) { elderProfile(id: $id) { contactPhone } }"
ELDER_REVEAL = "query($id: ID!) { elderProfile(id: $id) { contactPhone(reveal: true) } }"


async def save_contact(care, phone: str) -> None:
    await care.admin.ok(care.SAVE_ELDER, {"i": {
        "residentId": care.elder_id, "homeAddress": "3栋2单元501", "longitude": care.HOME[0], "latitude": care.HOME[1],
        "contactPhone": phone, "guardianResidentIds": [care.community.resident_ids[1]]}})


async def test_numbers_are_sealed_at_rest(care):
    await save_contact(care, "137-1111-2222")
    db = care.community.platform.db
    for collection, plain, field in (("elder_care__providers", "13912345678", "contact_phone"),  # a model's row
                                     ("elder_care__care_workers", "13800138000", "phone"),
                                     ("elder_care__elders", "13711112222", "contactPhone")):
        docs = await db[collection].find({"communityId": care.community.id}).to_list()
        assert docs, collection
        for doc in docs:
            assert plain.encode() not in encode(doc), f"plaintext number in {collection}"
            assert doc[field] == f"{plain[:3]}****{plain[-4:]}" and doc[f"{field}Sealed"]["c"]


async def test_reads_are_masked_and_reveals_are_limited_and_audited(care):
    await save_contact(care, "13711112222")
    provider = await care.admin.ok(PROVIDER, {"id": care.provider_id})
    assert provider["careProvider"]["contactPhone"] == "139****5678"
    assert (await care.admin.ok(PROVIDER_REVEAL, {"id": care.provider_id}))["careProvider"]["contactPhone"] == \
        "13912345678"
    await care.elder.error("FORBIDDEN", PROVIDER_REVEAL, {"id": care.provider_id})  # may read, not reveal
    assert (await care.elder.ok(PROVIDER, {"id": care.provider_id}))["careProvider"]["contactPhone"] == "139****5678"

    workers = (await care.admin.ok(WORKERS))["careWorkers"]["edges"]
    assert [w["node"]["phone"] for w in workers] == ["138****8000"]
    assert (await care.admin.ok(WORKER_REVEAL))["careWorkers"]["edges"][0]["node"]["phone"] == "13800138000"
    assert (await care.gw2.ok(MINE_REVEAL))["myCareWorkerRecords"] == [{"phone": "13800138000"}]  # their own

    elder = {"id": care.elder_id}
    assert (await care.guardian.ok(ELDER, elder))["elderProfile"]["contactPhone"] == "137****2222"
    assert (await care.guardian.ok(ELDER_REVEAL, elder))["elderProfile"]["contactPhone"] == "13711112222"
    await care.stranger.error("NOT_FOUND", ELDER_REVEAL, elder)

    audit = care.community.platform.audit.coll
    reveals = {(a["entity"], tuple(a["fields"])) async for a in audit.find({"action": "reveal"})}
    assert reveals == {("elder_care.CareProvider", ("contact_phone",)), ("elder_care.CareWorker", ("phone",)),
                       ("elder_care.ElderProfile", ("contactPhone",))}
    assert await audit.count_documents({"action": "reveal"}) == 4


async def test_upgrading_from_0_1_seals_numbers_stored_in_plaintext(care):
    db = care.community.platform.db
    legacy = {"communityId": care.community.id, "providerId": care.provider_id, "providerName": "旧机构",
              "name": "老数据护理员", "phone": "13355556666", "skills": [], "canDispatch": False, "active": True,
              "userId": None, "bindingCode": None, "version": 1, "createdAt": datetime.now(UTC),
              "updatedAt": datetime.now(UTC)}
    await db["elder_care__care_workers"].insert_one({"_id": "legacy-worker", **legacy})
    await db["elder_care__providers"].update_one({"_id": care.provider_id}, {
        "$set": {"contact_phone": "13912345678"}, "$unset": {"contact_phoneSealed": "", "contact_phoneHash": ""}})
    await care.call_hook("migrate", from_version="0.1.0", to_version="0.2.0")
    for collection, key, field, plain in (("elder_care__care_workers", "legacy-worker", "phone", "13355556666"),
                                          ("elder_care__providers", care.provider_id, "contact_phone", "13912345678")):
        doc = await db[collection].find_one({"_id": key})
        assert plain.encode() not in encode(doc) and doc[f"{field}Sealed"] and doc[field].count("*") == 4
    revealed = {e["node"]["id"]: e["node"]["phone"]
                for e in (await care.admin.ok(WORKER_REVEAL))["careWorkers"]["edges"]}
    assert revealed["legacy-worker"] == "13355556666"
    assert (await care.admin.ok(PROVIDER_REVEAL, {"id": care.provider_id}))["careProvider"]["contactPhone"] == \
        "13912345678"
    assert await care.call_hook("migrate", from_version="0.2.0", to_version="0.2.0") is None  # idempotent
