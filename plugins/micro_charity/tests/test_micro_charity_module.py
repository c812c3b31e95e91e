"""The module as a whole: refused where it is disabled (data kept), demo data, dashboard
statistics, and a demo wish taken through to completion by an organisation."""

from __future__ import annotations

from datetime import timedelta

from community_plus_sdk.relay import nodes

STATS = """query($c: ID!) { moduleStatistics(communityId: $c) { module key value unit } }"""


async def _stats(client, community_id: str) -> dict[str, float]:
    rows = (await client.ok(STATS, {"c": community_id}))["moduleStatistics"]
    return {r["key"]: r["value"] for r in rows if r["module"] == "micro_charity"}


async def _seed(community) -> None:
    """What `community-plus seed` does for an enabled module: the hook with a system context."""
    await community.call_hook("micro_charity", "seed_demo_data", community_id=community.id)


async def test_disabled_module_seed_and_statistics(community, kit):
    other = community.other
    # where the module is off, its fields are not in the schema: MODULE_DISABLED, for every role
    for role in ("resident", "community_admin"):
        client = other.client(role)
        await client.error("MODULE_DISABLED", "{ charityWishes { totalCount } }")
        await client.error("MODULE_DISABLED", "{ charityCatalogueItems { totalCount } }")
        await client.error("MODULE_DISABLED", 'mutation { redeemCharityItem(itemId: "x") { id } }')
        await client.error("MODULE_DISABLED", """mutation { postCharityWish(input: {title: "书包", description:
            "需要一个新书包"}) { id } }""")

    # demo data: catalogue, project with a donation, an upcoming activity, open wishes — seeding twice adds nothing
    await _seed(community)
    await _seed(community)
    resident = community.client("resident")
    admin = community.client("community_admin")
    demo = await resident.ok("""{ charityCatalogueItems { totalCount } charityProjects { totalCount edges { node { id raisedFen } } }
        charityActivities(upcoming: true) { totalCount } charityWishes(state: OPEN) { totalCount edges { node { id alias gridId } } } }""")
    assert demo["charityCatalogueItems"]["totalCount"] == 3
    assert demo["charityProjects"]["totalCount"] == 1 and nodes(demo["charityProjects"])[0]["raisedFen"] == 50000
    assert demo["charityActivities"]["totalCount"] == 1 and demo["charityWishes"]["totalCount"] == 2
    wish = nodes(demo["charityWishes"])[0]

    # an organisation (through the community) fulfils a demo wish; a reviewer confirms it
    await admin.ok('mutation($id: ID!) { claimCharityWish(id: $id, organisation: "阳光物业公司") { id } }',
                   {"id": wish["id"]})
    photo = await kit.upload_photo(admin)
    await admin.ok("mutation($id: ID!, $p: [ID!]!) { fulfilCharityWish(id: $id, proofPhotos: $p) { id } }",
                   {"id": wish["id"], "p": [photo]})
    await resident.error("FORBIDDEN", "mutation($id: ID!) { confirmCharityWish(id: $id) { id } }", {"id": wish["id"]})
    done = await admin.ok("mutation($id: ID!) { confirmCharityWish(id: $id) { state } }", {"id": wish["id"]})
    assert done["confirmCharityWish"]["state"] == "COMPLETED"

    # activity for the statistics: volunteer hours and points; a donation; a redemption
    worker = community.client("grid_worker")
    volunteer = await community.resident_client(1)
    activity = (await worker.ok("""mutation($i: CharityActivityInput!) { createCharityActivity(input: $i) { id } }""",
                                {"i": {"title": "义诊志愿", "location": "社区卫生站", "capacity": 5, "pointsPerHour": 30,
                                       "startsAt": kit.iso(timedelta(minutes=20)),
                                       "endsAt": kit.iso(timedelta(hours=3))}}))["createCharityActivity"]["id"]
    await volunteer.ok("mutation($id: ID!) { signUpCharityActivity(id: $id) { id } }", {"id": activity})
    rid = community.resident_ids[1]
    await worker.ok("mutation($a: ID!, $r: ID!) { checkInCharityVolunteer(activityId: $a, residentId: $r) { state } }",
                    {"a": activity, "r": rid})
    await worker.ok("""mutation($a: ID!, $r: ID!) { checkOutCharityVolunteer(activityId: $a, residentId: $r, hours: 2)
        { points } }""", {"a": activity, "r": rid})
    project = nodes(demo["charityProjects"])[0]["id"]
    await admin.ok("""mutation($p: ID!) { recordCharityDonation(projectId: $p, input: {amountFen: 12345,
        receiptNo: "SJ-0001"}) { id } }""", {"p": project})
    items = await resident.ok("{ charityCatalogueItems(first: 10) { edges { node { id pointsCost } } } }")
    haircut = min((e["node"] for e in items["charityCatalogueItems"]["edges"]), key=lambda n: n["pointsCost"])
    redeemed = await volunteer.ok("mutation($i: ID!) { redeemCharityItem(itemId: $i) { pointsSpent } }",
                                  {"i": haircut["id"]})
    assert redeemed["redeemCharityItem"]["pointsSpent"] == 50

    assert await _stats(admin, community.id) == {
        "wishes_completed": 1, "wishes_waiting": 1, "wishes_pending_review": 0, "donations_amount": 623.45,
        "donations_count": 2, "volunteer_hours": 2.0, "volunteer_services": 1, "points_issued": 60,
        "points_redeemed": 50}
    await resident.error("FORBIDDEN", STATS, {"c": community.id})

    # switching the module off keeps its data; switching it on brings it back
    await community.set_module("micro_charity", False)
    await resident.error("MODULE_DISABLED", "{ myCharityPoints { balance } }")
    await community.set_module("micro_charity", True)
    back = await volunteer.ok("{ myCharityPoints { balance earned spent volunteerHours } }")
    assert back["myCharityPoints"] == {"balance": 10, "earned": 60, "spent": 50, "volunteerHours": 2.0}
