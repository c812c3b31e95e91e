"""The 12349 hotline end to end: an operator takes a call, files the order on the caller's
behalf, the resident sees it, it is resolved, the operator makes the return visit; scope,
bad input, idempotency and audit."""

from __future__ import annotations

from governance_fixtures import resident_of, tree  # noqa: F401

LOOKUP = """query($p: String!) { hotlineCallers(phone: $p) { totalCount edges { node { id name phone } } } }"""
TAKE = """mutation($input: TakeHotlineCallInput!) { takeHotlineCall(input: $input) {
  id kind summary callerName registered callerPhone communityId residentId operatorName
  workOrder { id channel state residentId communityId title } } }"""
CALLS = """query($f: HotlineCallFilter) { hotlineCalls(filter: $f) { totalCount edges { cursor node { id summary } }
  pageInfo { hasNextPage endCursor } } }"""
VISIT = """mutation($input: ReturnVisitInput!) { recordReturnVisit(input: $input) { id satisfaction note workOrderId } }"""
ORDERS = "{ workOrders { totalCount edges { node { id channel title state } } } }"
ORDER = "query($id: ID!) { workOrder(id: $id) { state channel timeline { action note actorRole } } }"


async def operator(tree, street_index: int = 0, name: str = "hotline1") -> str:
    return await tree["staff"](name, "hotline_operator", region_id=tree["streets"][street_index]["_id"])


async def test_call_order_resident_resolution_return_visit(gql, platform, tree):
    op = await operator(tree)
    c1 = tree["communities"][0]
    resident, resident_tok = await resident_of(platform, c1["_id"])
    phone = platform.residents.reveal(resident, "phone")

    found = (await gql.ok(LOOKUP, {"p": phone}, token=op))["hotlineCallers"]
    assert resident["_id"] in [e["node"]["id"] for e in found["edges"]]
    assert all("*" in e["node"]["phone"] for e in found["edges"])  # masked
    lookup = await platform.audit.coll.find_one({"action": "lookup_phone", "actorRole": "hotline_operator"})
    assert lookup["fields"] == ["phone"] and resident["_id"] in lookup["details"]["residentIds"]
    assert phone not in str(lookup)  # the audit trail keeps the mask only

    call = (await gql.ok(TAKE, {"input": {"phone": phone, "residentId": resident["_id"], "summary": "楼道灯坏了",
                                          "description": "3号楼2单元楼道灯不亮"}}, token=op))["takeHotlineCall"]
    order = call["workOrder"]
    assert call["kind"] == "ORDER" and call["registered"] and call["residentId"] == resident["_id"]
    assert call["callerPhone"] != phone and "*" in call["callerPhone"]
    assert order["channel"] == "HOTLINE" and order["state"] == "SUBMITTED" and order["communityId"] == c1["_id"]
    stored = await platform.parts["hotline.calls"].coll.find_one({"_id": call["id"]})
    assert phone not in str(stored) and stored["operatorId"] and stored["at"]

    # the resident sees it in the mini-program like any other order
    mine = (await gql.ok(ORDERS, token=resident_tok))["workOrders"]
    assert {"id": order["id"], "channel": "HOTLINE", "title": "问题上报", "state": "SUBMITTED"} in \
        [e["node"] for e in mine["edges"]]

    # a return visit before the resolution is refused
    await gql.error("CONFLICT", VISIT, {"input": {"workOrderId": order["id"], "satisfaction": "SATISFIED"}}, token=op)

    admin = await gql.login("admin001")
    await gql.ok("mutation($id: ID!) { acceptWorkOrder(id: $id) { state } }", {"id": order["id"]}, token=admin)
    await gql.ok("mutation($id: ID!, $a: ID) { assignWorkOrder(id: $id, assigneeId: $a) { state } }",
                 {"id": order["id"], "a": (await platform.users.by_username("gw0011"))["_id"]}, token=admin)
    # the resident is told of the order's progress, as for an order they filed themselves
    inbox = (await gql.ok("{ myNotifications { edges { node { state page } } } }", token=resident_tok))["myNotifications"]
    pages = [e["node"]["page"] for e in inbox["edges"]]
    assert f"/pages/work-orders/detail?id={order['id']}" in pages and len(pages) == 3  # submitted, accepted, assigned
    worker = await gql.login("gw0011")
    await gql.ok("mutation($id: ID!) { startWorkOrder(id: $id) { state } }", {"id": order["id"]}, token=worker)
    await gql.ok("mutation($id: ID!) { resolveWorkOrder(id: $id, note: \"已更换灯泡\") { state } }",
                 {"id": order["id"]}, token=worker)

    visit = (await gql.ok(VISIT, {"input": {"workOrderId": order["id"], "satisfaction": "VERY_SATISFIED",
                                            "note": "居民表示感谢"}}, token=op))["recordReturnVisit"]
    assert visit["satisfaction"] == "VERY_SATISFIED" and visit["workOrderId"] == order["id"]
    await gql.error("CONFLICT", VISIT, {"input": {"workOrderId": order["id"], "satisfaction": "SATISFIED"}}, token=op)
    timeline = (await gql.ok(ORDER, {"id": order["id"]}, token=resident_tok))["workOrder"]["timeline"]
    assert timeline[-1]["action"] == "return_visit" and "非常满意" in timeline[-1]["note"]
    assert timeline[-1]["actorRole"] == "HOTLINE_OPERATOR"
    seen = (await gql.ok("query($id: ID!) { returnVisit(workOrderId: $id) { satisfaction } }", {"id": order["id"]},
                         token=admin))["returnVisit"]
    assert seen == {"satisfaction": "VERY_SATISFIED"}

    # statistics split by channel; hotline figures with the satisfaction
    stats = (await gql.ok("{ statistics { total byChannel { key count } } }", token=admin))["statistics"]
    assert {"key": "HOTLINE", "count": 1} in stats["byChannel"]
    hs = (await gql.ok("""{ hotlineStatistics { calls ordersFiled unregisteredCallers returnVisits satisfiedShare
                          bySatisfaction { key count } } }""", token=op))["hotlineStatistics"]
    assert hs == {"calls": 1, "ordersFiled": 1, "unregisteredCallers": 0, "returnVisits": 1, "satisfiedShare": 1.0,
                  "bySatisfaction": [{"key": "VERY_SATISFIED", "count": 1}]}
    hotline_only = (await gql.ok("{ workOrders(filter: {channels: [HOTLINE]}) { totalCount } }", token=admin))
    assert hotline_only["workOrders"]["totalCount"] == 1


async def test_unregistered_caller_enquiry_and_bad_input(gql, platform, tree):
    op = await operator(tree)
    c2 = tree["communities"][1]
    call = (await gql.ok(TAKE, {"input": {"phone": "13900001111", "callerName": "过路市民", "communityId": c2["_id"],
                                          "summary": "井盖松动", "description": "小区东门井盖松动"}},
                         token=op))["takeHotlineCall"]
    assert not call["registered"] and call["residentId"] is None and call["callerPhone"] == "139****1111"
    assert call["workOrder"]["residentId"] is None and call["workOrder"]["channel"] == "HOTLINE"
    admin2 = await gql.login("admin002")
    assert call["workOrder"]["id"] in [e["node"]["id"] for e in
                                       (await gql.ok(ORDERS, token=admin2))["workOrders"]["edges"]]
    enquiry = (await gql.ok(TAKE, {"input": {"phone": "13900001111", "callerName": "过路市民", "communityId": c2["_id"],
                                             "summary": "咨询办事时间", "fileOrder": False}}, token=op))["takeHotlineCall"]
    assert enquiry["kind"] == "ENQUIRY" and enquiry["workOrder"] is None
    by_phone = (await gql.ok(CALLS, {"f": {"phone": "139 0000 1111"}}, token=op))["hotlineCalls"]
    assert by_phone["totalCount"] == 2

    async def bad(variables: dict, path: str) -> None:
        err = await gql.error("BAD_USER_INPUT", TAKE, {"input": variables}, token=op)
        assert path in [f["path"] for f in err["extensions"]["fields"]], err

    base = {"phone": "13900001111", "callerName": "某", "communityId": c2["_id"], "summary": "x", "description": "y"}
    await bad({**base, "phone": "12345"}, "input.phone")
    await bad({**base, "summary": " "}, "input.summary")
    await bad({**base, "summary": "长" * 1001}, "input.summary")
    await bad({**base, "fileOrder": False}, "input.fileOrder")
    await bad({k: v for k, v in base.items() if k != "callerName"}, "input.callerName")
    await bad({k: v for k, v in base.items() if k != "communityId"}, "input.communityId")
    await bad({**base, "description": ""}, "input.description")
    err = await gql.error("BAD_USER_INPUT", LOOKUP, {"p": "abc"}, token=op)
    assert err["extensions"]["fields"][0]["path"] == "phone"
    # a return visit only for hotline orders
    resident, resident_tok = await resident_of(platform, c2["_id"])
    own = (await gql.ok("""mutation { submitWorkOrder(input: {description: "路灯不亮"}) { id channel } }""",
                        token=resident_tok))["submitWorkOrder"]
    assert own["channel"] == "MINI_PROGRAM"
    err = await gql.error("BAD_USER_INPUT", VISIT, {"input": {"workOrderId": own["id"], "satisfaction": "SATISFIED"}},
                          token=op)
    assert err["extensions"]["fields"][0]["path"] == "input.workOrderId"
    # other roles may not take calls
    await gql.error("FORBIDDEN", TAKE, {"input": base}, token=admin2)
    await gql.error("FORBIDDEN", TAKE, {"input": base}, token=resident_tok)
    await gql.error("FORBIDDEN", LOOKUP, {"p": "13900001111"}, token=admin2)


async def test_operators_see_their_region_only(gql, platform, tree):
    op1 = await operator(tree, 0, "hotline1")  # street 1: communities 1–3
    op2 = await operator(tree, 1, "hotline2")  # street 2: communities 4–6
    c1, c4 = tree["communities"][0], tree["communities"][3]
    r1, _ = await resident_of(platform, c1["_id"])
    r4, _ = await resident_of(platform, c4["_id"])
    phone4 = platform.residents.reveal(r4, "phone")
    assert (await gql.ok(LOOKUP, {"p": phone4}, token=op1))["hotlineCallers"]["totalCount"] == 0
    assert (await gql.ok(LOOKUP, {"p": phone4}, token=op2))["hotlineCallers"]["totalCount"] >= 1
    await gql.error("NOT_FOUND", TAKE, {"input": {"phone": phone4, "residentId": r4["_id"], "summary": "s",
                                                  "description": "d"}}, token=op1)
    await gql.error("NOT_FOUND", TAKE, {"input": {"phone": phone4, "callerName": "某", "communityId": c4["_id"],
                                                  "summary": "s", "description": "d"}}, token=op1)
    call = (await gql.ok(TAKE, {"input": {"phone": platform.residents.reveal(r1, "phone"), "residentId": r1["_id"],
                                          "summary": "s", "description": "d"}}, token=op1))["takeHotlineCall"]
    # nothing of community 1 is visible from community 2 (same street) or to the other street's operator
    admin2 = await gql.login("admin002")
    for token in (op2, admin2):
        assert (await gql.ok(CALLS, token=token))["hotlineCalls"]["totalCount"] == 0
        await gql.error("NOT_FOUND", "query($id: ID!) { hotlineCall(id: $id) { id } }", {"id": call["id"]}, token=token)
        await gql.error("NOT_FOUND", "query($id: ID!) { returnVisit(workOrderId: $id) { id } }",
                        {"id": call["workOrder"]["id"]}, token=token)
        await gql.error("NOT_FOUND", "query($id: ID!) { workOrder(id: $id) { id } }",
                        {"id": call["workOrder"]["id"]}, token=token)
    await gql.error("NOT_FOUND", VISIT, {"input": {"workOrderId": call["workOrder"]["id"], "satisfaction": "SATISFIED"}},
                    token=op2)
    await gql.error("NOT_FOUND", "{ hotlineStatistics(regionId: \"%s\") { calls } }" % tree["streets"][0]["_id"],
                    token=op2)
    admin1 = await gql.login("admin001")
    assert (await gql.ok(CALLS, token=admin1))["hotlineCalls"]["totalCount"] == 1
    assert (await gql.ok(CALLS, token=op1))["hotlineCalls"]["totalCount"] == 1


async def test_idempotency_key_replays_the_call(gql, platform, tree):
    op = await operator(tree)
    c1 = tree["communities"][0]
    variables = {"input": {"phone": "13700002222", "callerName": "王先生", "communityId": c1["_id"],
                           "summary": "噪音扰民", "description": "夜间施工"}}
    headers = {"Idempotency-Key": "call-1"}
    first = await gql(TAKE, variables, op, headers=headers)
    again = await gql(TAKE, variables, op, headers=headers)
    assert first["data"] == again["data"] and not again.get("errors")
    assert await platform.parts["hotline.calls"].coll.count_documents({}) == 1
    assert await platform.work_orders.coll.count_documents({"channel": "hotline"}) == 1
    other = await gql(TAKE, {"input": {**variables["input"], "summary": "别的"}}, op, headers=headers)
    assert other["errors"][0]["extensions"]["code"] == "CONFLICT"
    # the input's own idempotencyKey (as submitWorkOrder's) files once, too
    keyed = {"input": {**variables["input"], "idempotencyKey": "k-2"}}
    a = (await gql.ok(TAKE, keyed, token=op))["takeHotlineCall"]
    b = (await gql.ok(TAKE, keyed, token=op))["takeHotlineCall"]
    assert a["id"] == b["id"] and a["workOrder"]["id"] == b["workOrder"]["id"]
