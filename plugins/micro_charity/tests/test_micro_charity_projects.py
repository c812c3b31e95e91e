"""Public-good projects end to end: goals, pledges, donations with receipts and idempotency
keys, progress, closing, and every refusal."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from community_plus_sdk.relay import nodes

PROJECT = "id title goalFen raisedFen pledgedFen donationCount pledgeCount progressPercent goalReached state"
CREATE = f"mutation($i: CharityProjectInput!) {{ createCharityProject(input: $i) {{ {PROJECT} }} }}"
PLEDGE = """mutation($p: ID!, $i: CharityPledgeInput!, $k: String) { pledgeCharityProject(projectId: $p, input: $i,
    idempotencyKey: $k) { id donorName amountFen state isMine } }"""
DONATE = """mutation($p: ID!, $i: CharityDonationInput!, $k: String) { recordCharityDonation(projectId: $p, input: $i,
    idempotencyKey: $k) { id amountFen receiptNo donorName method pledgeId } }"""
SHOW = f"""query($p: ID!) {{ charityProject(id: $p) {{ {PROJECT} }}
    charityDonations(projectId: $p) {{ totalCount edges {{ node {{ amountFen receiptNo donorName }} }} }}
    charityPledges(projectId: $p) {{ totalCount edges {{ node {{ donorName amountFen state }} }} }} }}"""


async def test_project_pledges_donations_progress(community, kit):
    admin = community.client("community_admin")
    worker = community.client("grid_worker")
    resident = community.client("resident")
    neighbour = await community.resident_client(1)

    project_input = {"title": "楼道照明改造", "description": "为6栋老楼更换声控灯", "goalFen": 100000,
                     "organiser": "社区居委会", "endsOn": kit.iso(timedelta(days=30))}
    await resident.error("FORBIDDEN", CREATE, {"i": project_input})
    await worker.error("FORBIDDEN", CREATE, {"i": project_input})
    bad = await admin.error("BAD_USER_INPUT", CREATE, {"i": {**project_input, "title": "", "goalFen": -5,
                                                             "endsOn": "2020-01-01T00:00:00+08:00"}})
    assert kit.paths(bad) == {"input.title", "input.goalFen", "input.endsOn"}
    project = (await admin.ok(CREATE, {"i": project_input}))["createCharityProject"]
    pid = project["id"]
    assert project["state"] == "OPEN" and project["raisedFen"] == 0 and project["progressPercent"] == 0

    # pledges: residents under their own (or no) name; staff must name the donor
    assert kit.paths(await resident.error("BAD_USER_INPUT", PLEDGE, {"p": pid, "i": {"amountFen": 0}})) == \
        {"input.amountFen"}
    assert kit.paths(await worker.error("BAD_USER_INPUT", PLEDGE, {"p": pid, "i": {"amountFen": 5000}})) == \
        {"input.donorName"}
    pledge_key = kit.key()
    pledge = (await resident.ok(PLEDGE, {"p": pid, "i": {"amountFen": 30000}, "k": pledge_key}))["pledgeCharityProject"]
    again = (await resident.ok(PLEDGE, {"p": pid, "i": {"amountFen": 30000}, "k": pledge_key}))["pledgeCharityProject"]
    assert again["id"] == pledge["id"] and pledge["state"] == "PLEDGED" and pledge["isMine"]
    assert pledge["donorName"].endswith("*")  # a resident's own name is shown masked
    anon = (await neighbour.ok(PLEDGE, {"p": pid, "i": {"amountFen": 20000, "anonymous": True}}))["pledgeCharityProject"]
    assert anon["donorName"] == "爱心人士"
    shown = await neighbour.ok(SHOW, {"p": pid})
    assert shown["charityProject"]["pledgedFen"] == 50000 and shown["charityProject"]["pledgeCount"] == 2
    await neighbour.error("FORBIDDEN", "mutation($id: ID!) { cancelCharityPledge(id: $id) { id } }", {"id": pledge["id"]})

    # donations are recorded by the community with a unique receipt number; no payment gateway
    donation = {"amountFen": 30000, "receiptNo": "rc-2024-0001", "method": "WECHAT_TRANSFER",
                "pledgeId": pledge["id"]}
    await worker.error("FORBIDDEN", DONATE, {"p": pid, "i": donation})
    await resident.error("FORBIDDEN", DONATE, {"p": pid, "i": donation})
    bad = await admin.error("BAD_USER_INPUT", DONATE, {"p": pid, "i": {"amountFen": 0, "receiptNo": "#1"},
                                                       "k": "not a key!"})
    assert kit.paths(bad) == {"input.amountFen", "input.receiptNo", "input.idempotencyKey"}
    # a flaky network: the console retries the same request with the same key, also concurrently
    key = kit.key()
    bodies = await asyncio.gather(*(admin.execute(DONATE, {"p": pid, "i": donation, "k": key}) for _ in range(3)))
    assert all(not b.get("errors") for b in bodies), bodies
    ids = {b["data"]["recordCharityDonation"]["id"] for b in bodies}
    assert len(ids) == 1
    first = bodies[0]["data"]["recordCharityDonation"]
    assert first["receiptNo"] == "RC-2024-0001" and first["pledgeId"] == pledge["id"]
    reused = await admin.error("CONFLICT", DONATE, {"p": pid, "i": {**donation, "amountFen": 1}, "k": key})
    assert reused["extensions"]["reason"] == "IDEMPOTENCY_KEY_REUSED"
    # the same receipt cannot be recorded twice, nor the same pledge honoured twice
    dup = await admin.error("CONFLICT", DONATE, {"p": pid, "i": {"amountFen": 100, "receiptNo": "RC-2024-0001"}})
    assert dup["extensions"]["reason"] == "RECEIPT_EXISTS"
    await admin.error("CONFLICT", DONATE, {"p": pid, "i": {**donation, "receiptNo": "RC-2024-0002"}})
    await resident.error("CONFLICT", "mutation($id: ID!) { cancelCharityPledge(id: $id) { id } }", {"id": pledge["id"]})

    # a walk-in donor from a company (public name), then an anonymous one past the goal
    await admin.ok(DONATE, {"p": pid, "i": {"amountFen": 50000, "receiptNo": "RC-2024-0003", "donorName": "阳光超市",
                                            "method": "CASH"}, "k": kit.key()})
    progress = (await resident.ok(SHOW, {"p": pid}))
    p = progress["charityProject"]
    assert (p["raisedFen"], p["pledgedFen"], p["donationCount"], p["progressPercent"], p["goalReached"]) == \
        (80000, 20000, 2, 80.0, False)
    assert [d["donorName"] for d in nodes(progress["charityDonations"])] == ["阳光超市", resident_name(progress)]
    await admin.ok(DONATE, {"p": pid, "i": {"amountFen": 40000, "receiptNo": "RC-2024-0004", "anonymous": True}})
    p = (await resident.ok(SHOW, {"p": pid}))["charityProject"]
    assert (p["raisedFen"], p["progressPercent"], p["goalReached"]) == (120000, 100.0, True)

    # the pledger cancels the outstanding anonymous pledge; closing stops pledges and donations
    cancelled = (await neighbour.ok("mutation($id: ID!) { cancelCharityPledge(id: $id) { state } }",
                                    {"id": anon["id"]}))["cancelCharityPledge"]
    assert cancelled["state"] == "CANCELLED"
    await resident.error("FORBIDDEN", "mutation($id: ID!) { closeCharityProject(id: $id) { id } }", {"id": pid})
    closed = (await admin.ok("mutation($id: ID!) { closeCharityProject(id: $id) { state pledgedFen } }",
                             {"id": pid}))["closeCharityProject"]
    assert closed == {"state": "CLOSED", "pledgedFen": 0}
    await admin.error("CONFLICT", "mutation($id: ID!) { closeCharityProject(id: $id) { id } }", {"id": pid})
    assert (await resident.error("CONFLICT", PLEDGE, {"p": pid, "i": {"amountFen": 100}}))["extensions"]["reason"] == \
        "PROJECT_CLOSED"
    await admin.error("CONFLICT", DONATE, {"p": pid, "i": {"amountFen": 100, "receiptNo": "RC-2024-0005"}})
    await admin.error("NOT_FOUND", DONATE, {"p": "000000000000000000000000", "i": {"amountFen": 100,
                                                                                  "receiptNo": "RC-2024-0006"}})
    listed = (await resident.ok("{ charityProjects(state: CLOSED) { totalCount edges { node { id } } } }"))["charityProjects"]
    assert listed == {"totalCount": 1, "edges": [{"node": {"id": pid}}]}


def resident_name(progress: dict) -> str:
    """The pledger's public name carried over to the donation that honoured the pledge."""
    return next(p["donorName"] for p in nodes(progress["charityPledges"]) if p["state"] == "FULFILLED")
