"""Micro-wishes end to end through GraphQL: review, privacy, claims (exactly one wins),
proof, confirmation with points, posting on behalf, limits and every refusal."""

from __future__ import annotations

import asyncio
import json

from community_plus_sdk.relay import nodes

WISH_INPUT = {"title": "想要一台收音机", "description": "独居老人想听戏曲，希望有一台简单好用的收音机。",
              "category": "COMPANIONSHIP", "alias": "听戏的奶奶", "estimatedValueFen": 8000}
CLAIM = "mutation($id: ID!, $o: String) { claimCharityWish(id: $id, organisation: $o) { id state claimantName claimedByMe } }"


async def test_wish_review_privacy_claim_fulfil_confirm(community, kit, wechat_sent):
    wisher = community.client("resident")  # resident 0
    admin = community.client("community_admin")
    worker = community.client("grid_worker")
    neighbours = [await community.resident_client(i) for i in (1, 2, 3, 4)]

    # invalid input names every offending field
    bad = await wisher.error("BAD_USER_INPUT", kit.POST_WISH, {"input": {
        "title": "", "description": "短", "alias": "x" * 20, "estimatedValueFen": 10_000_000, "photos": ["nope"]}})
    assert kit.paths(bad) == {"input.title", "input.description", "input.alias", "input.estimatedValueFen",
                                "input.photos"}
    # residents post for themselves only
    await wisher.error("FORBIDDEN", kit.POST_WISH, {"input": {**WISH_INPUT, "residentId": community.resident_ids[1]}})

    wish = (await wisher.ok(kit.POST_WISH, {"input": WISH_INPUT}))["postCharityWish"]
    assert wish["state"] == "PENDING_REVIEW" and wish["isMine"] and wish["alias"] == "听戏的奶奶"
    wid = wish["id"]

    # before approval the public does not see it; claims are refused
    assert (await neighbours[0].ok("{ charityWishes { totalCount } }"))["charityWishes"]["totalCount"] == 0
    await neighbours[0].error("NOT_FOUND", "query($id: ID!) { charityWish(id: $id) { id } }", {"id": wid})
    await neighbours[0].error("NOT_FOUND", CLAIM, {"id": wid})

    # only reviewers approve; the review queue shows (and audits) who is in need
    await wisher.error("FORBIDDEN", "mutation($id: ID!) { approveCharityWish(id: $id) { id } }", {"id": wid})
    await worker.error("FORBIDDEN", "mutation($id: ID!) { approveCharityWish(id: $id) { id } }", {"id": wid})
    await worker.error("FORBIDDEN", "{ charityWishReviews { totalCount } }")
    queue = (await admin.ok("""{ charityWishReviews { totalCount edges { node { wisherResidentId wisherName postedByStaff
        contentFlagged wish { id state } } } } }"""))["charityWishReviews"]
    assert queue["totalCount"] == 1
    review = nodes(queue)[0]
    assert review["wisherResidentId"] == community.resident_ids[0] and not review["postedByStaff"]
    wisher_name = review["wisherName"]
    assert wisher_name
    approved = (await admin.ok("mutation($id: ID!) { approveCharityWish(id: $id, note: \"情况属实\") { state } }",
                               {"id": wid}))["approveCharityWish"]
    assert approved["state"] == "OPEN"
    await admin.error("CONFLICT", "mutation($id: ID!) { approveCharityWish(id: $id) { id } }", {"id": wid})

    # privacy: neighbours and workers see the alias and the grid, never the wisher's name or id
    for viewer in (neighbours[0], worker):
        body = await viewer.ok(kit.PUBLIC_WISHES, {"id": wid})
        text = json.dumps(body, ensure_ascii=False)
        assert body["charityWish"]["alias"] == "听戏的奶奶" and body["charityWish"]["gridId"]
        assert wisher_name not in text and community.resident_ids[0] not in text
        assert body["charityWish"]["reviewNote"] is None and not body["charityWish"]["isMine"]
    fields = (await neighbours[0].ok('{ __type(name: "CharityWish") { fields { name } } }'))["__type"]["fields"]
    assert not {f["name"] for f in fields} & {"wisherResidentId", "wisherName", "residentId", "wisherUserId"}
    assert (await wisher.ok(kit.PUBLIC_WISHES, {"id": wid}))["charityWish"]["reviewNote"] == "情况属实"

    # the wisher cannot claim their own wish; staff must name an organisation
    await wisher.error("FORBIDDEN", CLAIM, {"id": wid})
    no_org = await worker.error("BAD_USER_INPUT", CLAIM, {"id": wid})
    assert kit.paths(no_org) == {"organisation"}

    # four neighbours claim at once: exactly one wins, the others get CONFLICT
    bodies = await asyncio.gather(*(n.execute(CLAIM, {"id": wid}) for n in neighbours))
    winners = [i for i, b in enumerate(bodies) if not b.get("errors")]
    assert len(winners) == 1, bodies
    for i, b in enumerate(bodies):
        if i != winners[0]:
            assert b["errors"][0]["extensions"]["code"] == "CONFLICT"
            assert b["errors"][0]["extensions"]["reason"] == "ALREADY_CLAIMED"
    claimant = neighbours[winners[0]]
    other = neighbours[(winners[0] + 1) % 4]
    claimed = bodies[winners[0]]["data"]["claimCharityWish"]
    assert claimed["state"] == "CLAIMED" and claimed["claimedByMe"] and claimed["claimantName"].endswith("*")
    await worker.error("CONFLICT", CLAIM, {"id": wid, "o": "爱心企业"})
    # the wisher hears about approval and the claim on WeChat (the messages reach the fake WeChat)
    heard = await wechat_sent.wait_for(count=2, to=wisher, template="module_notice")
    assert [(m.title, m.state) for m in heard] == [("心愿「想要一台收音机」已公开", "已公开"),
                                                  ("心愿「想要一台收音机」已被认领", "已认领")]
    assert {m.page for m in heard} == {f"/pages/micro_charity/wish?id={wid}"}

    # only the claimant delivers, with at least one proof photo
    fulfil = "mutation($id: ID!, $p: [ID!]!, $n: String) { fulfilCharityWish(id: $id, proofPhotos: $p, note: $n) { state proofPhotos proofNote } }"
    photo = await kit.upload_photo(claimant)
    await other.error("FORBIDDEN", fulfil, {"id": wid, "p": [photo]})
    assert kit.paths(await claimant.error("BAD_USER_INPUT", fulfil, {"id": wid, "p": []})) == {"proofPhotos"}
    await wisher.error("CONFLICT", "mutation($id: ID!) { confirmCharityWish(id: $id) { id } }", {"id": wid})
    # a file that cannot be used is named where it was given (not the server's fileIds.0)
    assert kit.paths(await claimant.error("BAD_USER_INPUT", fulfil, {"id": wid, "p": ["0" * 24]})) == {"proofPhotos.0"}
    done = (await claimant.ok(fulfil, {"id": wid, "p": [photo], "n": "已送到社区服务站"}))["fulfilCharityWish"]
    assert done == {"state": "FULFILLED", "proofPhotos": [photo], "proofNote": "已送到社区服务站"}
    err = await claimant.error("CONFLICT", fulfil, {"id": wid, "p": [photo]})
    assert err["extensions"]["state"] == "FULFILLED"  # as CharityWishState spells it
    # a list cursor that is not a row id is refused, not read as the start of the list
    assert kit.paths(await claimant.error("BAD_USER_INPUT", "{ charityWishes(after: \"%%%\") { totalCount } }")) == \
        {"after"}

    # the wisher confirms; the resident claimant earns points with a ledger entry
    confirm = "mutation($id: ID!, $t: String) { confirmCharityWish(id: $id, thanks: $t) { state thanks completedAt } }"
    await other.error("FORBIDDEN", confirm, {"id": wid})
    completed = (await wisher.ok(confirm, {"id": wid, "t": "谢谢好心人"}))["confirmCharityWish"]
    assert completed["state"] == "COMPLETED" and completed["thanks"] == "谢谢好心人"
    await wisher.error("CONFLICT", confirm, {"id": wid})
    mine = await claimant.ok("{ myCharityPoints { balance earned } myCharityLedger { totalCount edges { node { delta kind refId balanceAfter } } } }")
    assert mine["myCharityPoints"] == {"balance": 5, "earned": 5}
    assert nodes(mine["myCharityLedger"]) == [{"delta": 5, "kind": "WISH", "refId": wid, "balanceAfter": 5}]

    # completed wishes stay public (with the thanks), still without the wisher's identity
    listing = json.dumps(await other.ok(kit.PUBLIC_WISHES, {"id": wid}), ensure_ascii=False)
    assert "谢谢好心人" in listing and wisher_name not in listing


async def test_wish_on_behalf_settings_limits_and_refusals(community, kit):
    admin = community.client("community_admin")
    worker = community.client("grid_worker")
    resident = community.client("resident")
    await community.configure("micro_charity", {"requireWishApproval": False, "maxOpenWishesPerResident": 1})

    # a grid worker posts for a resident of their own grid; with approval off, 'pass' text is public at once
    queue = []
    for i, rid in enumerate(community.resident_ids):
        body = await worker.execute(kit.POST_WISH, {"input": {**WISH_INPUT, "alias": None, "residentId": rid}})
        queue.append((i, rid, body))
    posted = [(i, rid, b) for i, rid, b in queue if not b.get("errors")]
    refused = [(i, rid, b) for i, rid, b in queue if b.get("errors")]
    assert posted and refused
    for _, _, b in refused:  # residents outside the worker's grids are out of scope
        assert kit.paths(b["errors"][0]) == {"input.residentId"}
    i, rid, body = posted[0]
    wish = body["data"]["postCharityWish"]
    assert wish["state"] == "OPEN" and wish["alias"].startswith("爱心邻居") and wish["isMine"]
    # reviewers see who it is for, and that staff posted it
    reviews = (await admin.ok("{ charityWishReviews(state: OPEN) { edges { node { wisherResidentId postedByStaff } } } }"))
    assert {"wisherResidentId": rid, "postedByStaff": True} in nodes(reviews["charityWishReviews"])

    # one open wish per resident (setting): the next one is refused
    limit = await worker.error("CONFLICT", kit.POST_WISH, {"input": {**WISH_INPUT, "residentId": rid}})
    assert limit["extensions"]["reason"] == "TOO_MANY_OPEN_WISHES"
    # staff need the residentId; settings are validated by the schema
    assert kit.paths(await worker.error("BAD_USER_INPUT", kit.POST_WISH, {"input": WISH_INPUT})) == {"input.residentId"}
    await admin.error("BAD_USER_INPUT", """mutation($c: ID!) { updateModuleSettings(communityId: $c,
        module: "micro_charity", settings: {maxOpenWishesPerResident: 0}) { name } }""", {"c": community.id})

    # an organisation claims through a worker, gives it up, and the wish is open again
    claim = "mutation($id: ID!) { claimCharityWish(id: $id, organisation: \"阳光物业公司\") { state claimantName } }"
    assert (await admin.ok(claim, {"id": wish["id"]}))["claimCharityWish"] == {"state": "CLAIMED",
                                                                                 "claimantName": "阳光物业公司"}
    release = "mutation($id: ID!) { releaseCharityWish(id: $id) { state claimantName } }"
    await resident.error("FORBIDDEN", release, {"id": wish["id"]})
    assert (await admin.ok(release, {"id": wish["id"]}))["releaseCharityWish"] == {"state": "OPEN", "claimantName": None}
    await admin.error("CONFLICT", release, {"id": wish["id"]})

    # the poster withdraws it; a withdrawn wish cannot be claimed
    cancel = "mutation($id: ID!) { cancelCharityWish(id: $id) { state } }"
    other = await community.resident_client(1 if i != 1 else 2)
    await other.error("FORBIDDEN", cancel, {"id": wish["id"]})
    assert (await worker.ok(cancel, {"id": wish["id"]}))["cancelCharityWish"]["state"] == "CANCELLED"
    await worker.error("CONFLICT", cancel, {"id": wish["id"]})
    await other.error("NOT_FOUND", CLAIM, {"id": wish["id"]})

    # with approval on again, a reviewer rejects with a reason (required)
    await community.configure("micro_charity", {"requireWishApproval": True})
    pending = (await resident.ok(kit.POST_WISH, {"input": WISH_INPUT}))["postCharityWish"]
    assert pending["state"] == "PENDING_REVIEW"
    reject = "mutation($id: ID!, $r: String!) { rejectCharityWish(id: $id, reason: $r) { state reviewNote } }"
    assert kit.paths(await admin.error("BAD_USER_INPUT", reject, {"id": pending["id"], "r": " "})) == {"reason"}
    rejected = (await admin.ok(reject, {"id": pending["id"], "r": "请联系网格员线下办理"}))["rejectCharityWish"]
    assert rejected == {"state": "REJECTED", "reviewNote": "请联系网格员线下办理"}
    await admin.error("CONFLICT", "mutation($id: ID!) { approveCharityWish(id: $id) { id } }", {"id": pending["id"]})
    mine = (await resident.ok("{ charityWishes(mine: true) { edges { node { id state reviewNote } } } }"))["charityWishes"]
    assert nodes(mine) == [{"id": pending["id"], "state": "REJECTED", "reviewNote": "请联系网格员线下办理"}]
