"""Points and the catalogue end to end: redemptions are exactly-once on the last points and
the last item, idempotency keys replay, balances never go negative, every change is a
ledger entry, and every refusal."""

from __future__ import annotations

import asyncio

from community_plus_sdk.relay import nodes

ITEM = "id name pointsCost stock active version"
CREATE_ITEM = f"mutation($i: CreateCharityCatalogueItemInput!) {{ createCharityCatalogueItem(input: $i) {{ {ITEM} }} }}"
REDEEM = """mutation($item: ID!, $q: Int! = 1, $k: String) { redeemCharityItem(itemId: $item, quantity: $q,
    idempotencyKey: $k) { id itemName quantity pointsSpent state } }"""
MINE = "{ myCharityPoints { balance earned spent } myCharityRedemptions { totalCount edges { node { id state } } } }"
LEDGER = """query($r: ID!) { charityPointsAccount(residentId: $r) { balance earned spent }
    charityPointsLedger(residentId: $r, first: 50) { totalCount edges { node { delta kind balanceAfter } } } }"""


async def _item(client, stock: int, cost: int, name: str) -> dict:
    return (await client.ok(CREATE_ITEM, {"i": {"name": name, "pointsCost": cost, "stock": stock}}))[
        "createCharityCatalogueItem"]


async def _stock(client, item_id: str) -> int:
    return (await client.ok("query($id: ID!) { charityCatalogueItem(id: $id) { stock } }", {"id": item_id}))[
        "charityCatalogueItem"]["stock"]


async def test_redemptions_exactly_once_and_ledger(community, kit):
    admin = community.client("community_admin")
    worker = community.client("grid_worker")
    r = {i: await community.resident_client(i) for i in (1, 2, 3, 4)}

    # the catalogue is a declarative model: generated CRUD with permissions and validation
    await r[1].error("FORBIDDEN", CREATE_ITEM, {"i": {"name": "大米", "pointsCost": 30, "stock": 5}})
    bad = await admin.error("BAD_USER_INPUT", CREATE_ITEM, {"i": {"name": "大米", "pointsCost": 0, "stock": -1}})
    assert kit.paths(bad) == {"input.pointsCost", "input.stock"}
    rice = await _item(admin, 5, 30, "东北大米")
    soap = await _item(admin, 1, 10, "香皂")
    listed = (await r[1].ok("{ charityCatalogueItems(filter: {active: true}) { totalCount } }"))
    assert listed["charityCatalogueItems"]["totalCount"] == 2

    # no points, no redemption; invalid input names its fields
    low = await r[1].error("CONFLICT", REDEEM, {"item": rice["id"]})
    assert low["extensions"]["reason"] == "INSUFFICIENT_POINTS"
    bad = await r[1].error("BAD_USER_INPUT", REDEEM, {"item": rice["id"], "q": 0, "k": "bad key!"})  # the one key rule: letters, digits, _.:-
    assert kit.paths(bad) == {"quantity", "idempotencyKey"}
    await worker.error("FORBIDDEN", REDEEM, {"item": rice["id"]})
    await r[1].error("NOT_FOUND", REDEEM, {"item": "000000000000000000000000"})

    # the last points: five concurrent redemptions, exactly one succeeds, the balance ends at 0
    assert await kit.grant_points(1, 30) == {"balance": 30, "earned": 30, "spent": 0}
    bodies = await asyncio.gather(*(r[1].execute(REDEEM, {"item": rice["id"], "k": kit.key()}) for _ in range(5)))
    ok = [b for b in bodies if not b.get("errors")]
    assert len(ok) == 1, bodies
    assert all(b["errors"][0]["extensions"]["reason"] == "INSUFFICIENT_POINTS" for b in bodies if b.get("errors"))
    mine = await r[1].ok(MINE)
    assert mine["myCharityPoints"] == {"balance": 0, "earned": 30, "spent": 30}
    assert mine["myCharityRedemptions"]["totalCount"] == 1
    assert await _stock(admin, rice["id"]) == 4

    # the last item: two residents with enough points, one soap left — exactly one gets it
    await kit.grant_points(2, 10)
    await kit.grant_points(3, 10)
    bodies = await asyncio.gather(r[2].execute(REDEEM, {"item": soap["id"]}), r[3].execute(REDEEM, {"item": soap["id"]}))
    assert sorted(bool(b.get("errors")) for b in bodies) == [False, True], bodies
    loser = next(b for b in bodies if b.get("errors"))
    assert loser["errors"][0]["extensions"]["reason"] == "OUT_OF_STOCK"
    balances = sorted([(await r[i].ok(MINE))["myCharityPoints"]["balance"] for i in (2, 3)])
    assert balances == [0, 10] and await _stock(admin, soap["id"]) == 0

    # a retried request (same idempotency key, even concurrently) redeems once and returns the same result
    await kit.grant_points(4, 60)
    key = kit.key()
    bodies = await asyncio.gather(*(r[4].execute(REDEEM, {"item": rice["id"], "q": 2, "k": key}) for _ in range(3)))
    assert all(not b.get("errors") for b in bodies), bodies
    assert len({b["data"]["redeemCharityItem"]["id"] for b in bodies}) == 1
    redemption = bodies[0]["data"]["redeemCharityItem"]
    assert (redemption["quantity"], redemption["pointsSpent"], redemption["state"]) == (2, 60, "PENDING")
    reused = await r[4].error("CONFLICT", REDEEM, {"item": rice["id"], "q": 1, "k": key})
    assert reused["extensions"]["reason"] == "IDEMPOTENCY_KEY_REUSED"
    assert (await r[4].ok(MINE))["myCharityPoints"]["balance"] == 0 and await _stock(admin, rice["id"]) == 2

    # cancelling a pending redemption refunds the points and restocks (one ledger entry each way)
    cancel = "mutation($id: ID!) { cancelCharityRedemption(id: $id) { state } }"
    await r[1].error("FORBIDDEN", cancel, {"id": redemption["id"]})
    assert (await r[4].ok(cancel, {"id": redemption["id"]}))["cancelCharityRedemption"]["state"] == "CANCELLED"
    await r[4].error("CONFLICT", cancel, {"id": redemption["id"]})
    assert (await r[4].ok(MINE))["myCharityPoints"] == {"balance": 60, "earned": 60, "spent": 0}
    assert await _stock(admin, rice["id"]) == 4

    # staff hand items over; handed-over redemptions cannot be cancelled
    handed = ok[0]["data"]["redeemCharityItem"]["id"]
    hand = "mutation($id: ID!) { handOverCharityRedemption(id: $id) { state handedOverAt } }"
    await r[1].error("FORBIDDEN", hand, {"id": handed})
    assert (await worker.ok(hand, {"id": handed}))["handOverCharityRedemption"]["state"] == "HANDED_OVER"
    await worker.error("CONFLICT", hand, {"id": handed})
    await r[1].error("CONFLICT", cancel, {"id": handed})
    queue = (await worker.ok("{ charityRedemptions(state: PENDING) { totalCount } }"))["charityRedemptions"]
    assert queue["totalCount"] == 1  # the soap

    # an inactive item cannot be redeemed (generated update, with the version for optimistic locking)
    rice_now = (await admin.ok("query($id: ID!) { charityCatalogueItem(id: $id) { version } }", {"id": rice["id"]}))
    await admin.ok("mutation($id: ID!, $v: Int) { updateCharityCatalogueItem(id: $id, input: {active: false}, version: $v) { id } }",
                   {"id": rice["id"], "v": rice_now["charityCatalogueItem"]["version"]})
    inactive = await r[4].error("CONFLICT", REDEEM, {"item": rice["id"]})
    assert inactive["extensions"]["reason"] == "ITEM_INACTIVE"

    # adjustments: admins only, never below zero, each one a ledger entry
    adjust = "mutation($r: ID!, $d: Int!, $why: String!) { adjustCharityPoints(residentId: $r, delta: $d, reason: $why) { balance } }"
    rid4 = community.resident_ids[4]
    await worker.error("FORBIDDEN", adjust, {"r": rid4, "d": 5, "why": "奖励"})
    assert kit.paths(await admin.error("BAD_USER_INPUT", adjust, {"r": rid4, "d": 0, "why": ""})) == {"delta", "reason"}
    negative = await admin.error("CONFLICT", adjust, {"r": rid4, "d": -61, "why": "扣减"})
    assert negative["extensions"]["reason"] == "INSUFFICIENT_POINTS"
    assert (await admin.ok(adjust, {"r": rid4, "d": -60, "why": "扣减"}))["adjustCharityPoints"]["balance"] == 0
    await admin.error("NOT_FOUND", adjust, {"r": "000000000000000000000000", "d": 1, "why": "x"})

    # the ledger explains every balance: entries sum to it, and the newest shows it
    for i in (1, 2, 3, 4):
        data = await admin.ok(LEDGER, {"r": community.resident_ids[i]})
        account, entries = data["charityPointsAccount"], nodes(data["charityPointsLedger"])
        assert sum(e["delta"] for e in entries) == account["balance"] == account["earned"] - account["spent"]
        assert entries[0]["balanceAfter"] == account["balance"]
        assert all(e["balanceAfter"] >= 0 for e in entries)
    kinds = [e["kind"] for e in nodes((await admin.ok(LEDGER, {"r": rid4}))["charityPointsLedger"])]
    assert kinds == ["ADJUSTMENT", "REFUND", "REDEMPTION", "ADJUSTMENT"]
