"""Readable work-order numbers: per community and day, unique and consecutive under concurrency, searchable."""

from __future__ import annotations

import asyncio
import re

from workorder_fixtures import CREATE_ITEM, FORM, GOOD_ANSWERS, SET_STATE, resident_token

SUBMIT = "mutation($input: SubmitWorkOrderInput!) { submitWorkOrder(input: $input) { id number } }"

LIST = "query($n: String) { workOrders(first: 50, filter: { number: $n }) { totalCount edges { node { id number } } } }"


async def test_numbers_are_sequential_unique_and_searchable(gql, world, platform):
    c1 = world["communities"][0]["_id"]
    admin = await gql.login("admin001")
    item = (await gql.ok(CREATE_ITEM, {"input": {"title": "居家保洁", "kind": "VOLUNTEER", "slaHours": 24, "form": FORM}},
                         token=admin))["createServiceItem"]
    await gql.ok(SET_STATE, {"id": item["id"], "s": "PUBLISHED"}, token=admin)
    residents = await platform.residents.coll.find({"communityId": c1, "relation": "self"}).sort("_id", 1).to_list()
    tokens = [await resident_token(platform, r) for r in residents[:4]]
    results = await asyncio.gather(*(gql(SUBMIT, {"input": {"itemId": item["id"], "answers": GOOD_ANSWERS}}, token=t)
                                     for t in tokens * 2))
    numbers = sorted(r["data"]["submitWorkOrder"]["number"] for r in results)
    assert all(re.fullmatch(r"GD\d{8}-\d{4}", n) for n in numbers)
    assert [int(n[-4:]) for n in numbers] == list(range(1, 9))  # concurrent submissions: no gaps, no repeats
    found = (await gql.ok(LIST, {"n": numbers[3].lower()}, token=admin))["workOrders"]
    assert found["totalCount"] == 1 and found["edges"][0]["node"]["number"] == numbers[3]
    # the other community counts on its own
    c2 = world["communities"][1]["_id"]
    other = await platform.residents.coll.find_one({"communityId": c2, "relation": "self"})
    admin2 = await gql.login("admin002")
    item2 = (await gql.ok(CREATE_ITEM, {"input": {"title": "理发", "kind": "VOLUNTEER", "slaHours": 24, "form": FORM}},
                          token=admin2))["createServiceItem"]
    await gql.ok(SET_STATE, {"id": item2["id"], "s": "PUBLISHED"}, token=admin2)
    first = (await gql.ok(SUBMIT, {"input": {"itemId": item2["id"], "answers": GOOD_ANSWERS}},
                          token=await resident_token(platform, other)))["submitWorkOrder"]
    assert first["number"].endswith("-0001")
    assert (await gql.ok(LIST, {"n": numbers[1]}, token=admin2))["workOrders"]["totalCount"] == 0  # out of scope
    assert (await gql.ok(LIST, {"n": numbers[0]}, token=admin2))["workOrders"]["edges"][0]["node"]["id"] == first["id"]


async def test_seeded_demo_orders_are_numbered_and_live_orders_continue_after_them(gql, platform):
    from community_plus.demo.seed import seed

    await seed(platform, communities=1, residents_per_community=20, grids_per_community=1, work_orders_per_community=30)
    orders = await platform.work_orders.coll.find({}, {"number": 1, "createdAt": 1, "communityId": 1}).to_list()
    assert len(orders) == 30 and all(re.fullmatch(r"GD\d{8}-\d{4}", o["number"]) for o in orders)
    assert len({o["number"] for o in orders}) == 30
    by_day: dict[str, list[int]] = {}
    for o in sorted(orders, key=lambda o: o["createdAt"]):
        by_day.setdefault(o["number"][2:10], []).append(int(o["number"][-4:]))
    assert all(seqs == list(range(1, len(seqs) + 1)) for seqs in by_day.values())  # per day, in creation order
    # a live order of a day that has seeded orders takes the next number, not a duplicate
    admin = await gql.login("admin001")
    item = (await gql.ok(CREATE_ITEM, {"input": {"title": "居家保洁", "kind": "VOLUNTEER", "slaHours": 24, "form": FORM}},
                         token=admin))["createServiceItem"]
    await gql.ok(SET_STATE, {"id": item["id"], "s": "PUBLISHED"}, token=admin)
    resident = await platform.residents.coll.find_one({"relation": "self"})
    live = (await gql.ok(SUBMIT, {"input": {"itemId": item["id"], "answers": GOOD_ANSWERS}},
                         token=await resident_token(platform, resident)))["submitWorkOrder"]["number"]
    assert int(live[-4:]) == len(by_day.get(live[2:10], [])) + 1
