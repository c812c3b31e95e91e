"""Linkage command end to end: the community escalates, the street passes it up, the district
hands it back, the street dispatches it to a department, the department resolves it;
statistics per level and department; subtree scope; overdue alerts; idempotency; bad input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from community_plus.domains.linkage.service import alert_overdue
from community_plus.domains.staff.accounts import create_staff_user

from governance_fixtures import PASSWORD, resident_of, tree  # noqa: F401

DEPT = "mutation($input: DepartmentInput!) { createDepartment(input: $input) { id name regionId regionLevel } }"
ESCALATE = """mutation($id: ID!, $r: String!, $v: Int) { escalateWorkOrder(id: $id, reason: $r, version: $v) {
  id state version timeline { action note actorRole } } }"""
DISPATCH = """mutation($id: ID!, $d: ID!, $i: String!) { dispatchWorkOrder(id: $id, departmentId: $d, instructions: $i) {
  id state } }"""
HAND_BACK = "mutation($id: ID!, $i: String!) { handBackWorkOrder(id: $id, instructions: $i) { id state } }"
RESOLVE = "mutation($id: ID!, $n: String!) { resolveEscalatedWorkOrder(id: $id, note: $n) { id state resolution } }"
QUEUE = """{ linkageQueue { totalCount edges { node { id action level holderName fromLevel text open overdue
  workOrder { id } } } } }"""
HOPS = """query($id: ID!) { linkageHops(workOrderId: $id) { totalCount edges { node { action level fromLevel outcome open
  text } } pageInfo { hasNextPage } } }"""
STATS = """query($r: ID) { linkageStatistics(regionId: $r) { regionId
  byLevel { key received resolved passedOn handedBack open overdue }
  byDepartment { key title received resolved } } }"""
ORDER = "query($id: ID!) { workOrder(id: $id) { id state version } }"


async def setup(gql, platform, tree) -> dict:
    s1, s2 = tree["streets"][0]["_id"], tree["streets"][1]["_id"]
    d1, d2 = tree["districts"][0]["_id"], tree["districts"][1]["_id"]
    street1 = await tree["staff"]("street1", "region_admin", region_id=s1)
    street2 = await tree["staff"]("street2", "region_admin", region_id=s2)
    district1 = await tree["staff"]("district1", "region_admin", region_id=d1)
    district2 = await tree["staff"]("district2", "region_admin", region_id=d2)
    dept1 = (await gql.ok(DEPT, {"input": {"regionId": s1, "name": "民政办"}}, token=street1))["createDepartment"]
    dept2 = (await gql.ok(DEPT, {"input": {"regionId": s2, "name": "城管办"}}, token=street2))["createDepartment"]
    for name, dept in (("dept1", dept1), ("dept2", dept2)):
        await create_staff_user(platform, username=name, password=PASSWORD, role="department_staff",
                                display_name=name, department_id=dept["id"])
    resident, resident_tok = await resident_of(platform, tree["communities"][0]["_id"])
    order = (await gql.ok("""mutation { submitWorkOrder(input: {description: "小区外道路塌陷，社区无法处理"}) { id } }""",
                          token=resident_tok))["submitWorkOrder"]
    admin1 = await gql.login("admin001")
    await gql.ok("mutation($id: ID!) { acceptWorkOrder(id: $id) { state } }", {"id": order["id"]}, token=admin1)
    return {"s1": s1, "s2": s2, "d1": d1, "street1": street1, "street2": street2, "district1": district1,
            "district2": district2, "dept1": dept1, "dept2": dept2, "order": order["id"], "admin1": admin1,
            "resident": resident_tok, "dept1_tok": await gql.login("dept1"), "dept2_tok": await gql.login("dept2")}


async def test_escalate_dispatch_resolve_and_statistics(gql, platform, tree):
    w = await setup(gql, platform, tree)
    oid = w["order"]
    moved = (await gql.ok(ESCALATE, {"id": oid, "r": "涉及市政道路，超出社区职责"}, token=w["admin1"]))["escalateWorkOrder"]
    assert moved["state"] == "ACCEPTED" and moved["timeline"][-1]["action"] == "escalate"
    queue = (await gql.ok(QUEUE, token=w["street1"]))["linkageQueue"]
    assert queue["totalCount"] == 1 and queue["edges"][0]["node"]["level"] == "STREET"
    assert queue["edges"][0]["node"]["fromLevel"] == "COMMUNITY" and queue["edges"][0]["node"]["workOrder"]["id"] == oid
    # only the holder moves it: the community no longer, the district not yet
    await gql.error("FORBIDDEN", ESCALATE, {"id": oid, "r": "再上报"}, token=w["admin1"])
    err = await gql.error("CONFLICT", "mutation($id: ID!) { assignWorkOrder(id: $id) { id } }", {"id": oid},
                          token=w["admin1"])  # the ordinary flow waits while the order is escalated
    assert err["extensions"]["reason"] == "ESCALATED"
    await gql.error("FORBIDDEN", HAND_BACK, {"id": oid, "i": "x"}, token=w["district1"])
    for token in (w["street2"], w["district2"], w["dept1_tok"]):  # other subtrees' queues stay empty
        assert (await gql.ok(QUEUE, token=token))["linkageQueue"]["totalCount"] == 0
    await gql.ok(ESCALATE, {"id": oid, "r": "需区级协调"}, token=w["street1"])
    assert (await gql.ok(QUEUE, token=w["street1"]))["linkageQueue"]["totalCount"] == 0
    assert (await gql.ok(QUEUE, token=w["district1"]))["linkageQueue"]["totalCount"] == 1
    await gql.ok(HAND_BACK, {"id": oid, "i": "请街道协调民政办先行处置"}, token=w["district1"])
    # a department of another street is refused
    err = await gql.error("BAD_USER_INPUT", DISPATCH, {"id": oid, "d": w["dept2"]["id"], "i": "x"}, token=w["street1"])
    assert err["extensions"]["fields"][0]["path"] == "departmentId"
    await gql.ok(DISPATCH, {"id": oid, "d": w["dept1"]["id"], "i": "三日内完成修复"}, token=w["street1"])
    dq = (await gql.ok(QUEUE, token=w["dept1_tok"]))["linkageQueue"]
    assert dq["totalCount"] == 1 and dq["edges"][0]["node"]["level"] == "DEPARTMENT"
    assert dq["edges"][0]["node"]["text"] == "三日内完成修复"
    assert (await gql.ok("{ workOrders { totalCount } }", token=w["dept1_tok"]))["workOrders"]["totalCount"] == 1
    await gql.error("NOT_FOUND", ORDER, {"id": oid}, token=w["dept2_tok"])
    resolved = (await gql.ok(RESOLVE, {"id": oid, "n": "已修复路面"}, token=w["dept1_tok"]))["resolveEscalatedWorkOrder"]
    assert resolved == {"id": oid, "state": "RESOLVED", "resolution": "已修复路面"}
    await gql.error("CONFLICT", RESOLVE, {"id": oid, "n": "again"}, token=w["dept1_tok"])
    # the resident sees the resolution and rates it as usual
    await gql.ok("mutation($id: ID!) { rateWorkOrder(id: $id, score: 5) { state } }", {"id": oid}, token=w["resident"])

    hops = (await gql.ok(HOPS, {"id": oid}, token=w["admin1"]))["linkageHops"]
    assert [(h["node"]["action"], h["node"]["fromLevel"], h["node"]["level"], h["node"]["outcome"])
            for h in hops["edges"]] == [
        ("ESCALATE", "COMMUNITY", "STREET", "ESCALATED"), ("ESCALATE", "STREET", "DISTRICT", "HANDED_BACK"),
        ("HAND_BACK", "DISTRICT", "STREET", "DISPATCHED"), ("DISPATCH", "STREET", "DEPARTMENT", "RESOLVED")]
    timeline = (await gql.ok("query($id: ID!) { workOrder(id: $id) { timeline { action toState } } }", {"id": oid},
                             token=w["resident"]))["workOrder"]["timeline"]
    assert [e["action"] for e in timeline] == ["submit", "accept", "escalate", "escalate", "hand_back", "dispatch",
                                               "resolve", "rate"]

    stats = (await gql.ok(STATS, {"r": w["s1"]}, token=w["street1"]))["linkageStatistics"]
    by_level = {r["key"]: r for r in stats["byLevel"]}
    assert by_level["STREET"] == {"key": "STREET", "received": 2, "resolved": 0, "passedOn": 2, "handedBack": 0,
                                  "open": 0, "overdue": 0}
    assert by_level["DISTRICT"]["handedBack"] == 1 and by_level["DEPARTMENT"]["resolved"] == 1
    assert stats["byDepartment"] == [{"key": w["dept1"]["id"], "title": "民政办", "received": 1, "resolved": 1}]
    # the district sees its subtree's figures; another street and another district do not
    assert (await gql.ok(STATS, {"r": w["d1"]}, token=w["district1"]))["linkageStatistics"]["byLevel"]
    await gql.error("NOT_FOUND", STATS, {"r": w["s1"]}, token=w["street2"])
    await gql.error("NOT_FOUND", STATS, {"r": w["s1"]}, token=w["district2"])


async def test_subtree_scope_bad_input_conflicts(gql, platform, tree):
    w = await setup(gql, platform, tree)
    oid = w["order"]
    # street 2, district 2 and community 2 see nothing of community 1's order
    for token in (w["street2"], w["district2"], await gql.login("admin002"), w["dept1_tok"]):
        await gql.error("NOT_FOUND", ORDER, {"id": oid}, token=token)
        await gql.error("NOT_FOUND", HOPS, {"id": oid}, token=token)
        await gql.error("NOT_FOUND", ESCALATE, {"id": oid, "r": "x"}, token=token)
        await gql.error("NOT_FOUND", DISPATCH, {"id": oid, "d": w["dept1"]["id"], "i": "x"}, token=token)
        await gql.error("NOT_FOUND", HAND_BACK, {"id": oid, "i": "x"}, token=token)
        await gql.error("NOT_FOUND", RESOLVE, {"id": oid, "n": "x"}, token=token)
    assert (await gql.ok(ORDER, {"id": oid}, token=w["district1"]))["workOrder"]["id"] == oid
    err = await gql.error("BAD_USER_INPUT", ESCALATE, {"id": oid, "r": "  "}, token=w["admin1"])
    assert err["extensions"]["fields"][0]["path"] == "reason"
    await gql.error("CONFLICT", HAND_BACK, {"id": oid, "i": "x"}, token=w["admin1"])  # nothing to hand back to
    await gql.error("FORBIDDEN", RESOLVE, {"id": oid, "n": "x"}, token=w["admin1"])
    version = (await gql.ok(ORDER, {"id": oid}, token=w["admin1"]))["workOrder"]["version"]
    await gql.error("CONFLICT", ESCALATE, {"id": oid, "r": "x", "v": version - 1}, token=w["admin1"])
    await gql.error("FORBIDDEN", QUEUE, token=w["resident"])
    # departments: each street sees its own; none under another's region or a community
    names = lambda tok: gql.ok("{ departments { totalCount edges { node { name } } } }", token=tok)  # noqa: E731
    assert (await names(w["street2"]))["departments"]["totalCount"] == 1
    assert (await names(w["district1"]))["departments"]["totalCount"] == 3  # and the demo 城管办
    await gql.error("NOT_FOUND", DEPT, {"input": {"regionId": w["s1"], "name": "x"}}, token=w["street2"])
    await gql.error("BAD_USER_INPUT", DEPT, {"input": {"regionId": tree["communities"][0]["_id"], "name": "x"}},
                    token=w["street1"])
    await gql.error("CONFLICT", DEPT, {"input": {"regionId": w["s1"], "name": "民政办"}}, token=w["street1"])
    await gql.error("FORBIDDEN", DEPT, {"input": {"regionId": w["s1"], "name": "y"}}, token=w["admin1"])
    # a retried escalation under the same Idempotency-Key happens once
    headers = {"Idempotency-Key": "esc-1"}
    first = await gql(ESCALATE, {"id": oid, "r": "超出职责"}, w["admin1"], headers=headers)
    again = await gql(ESCALATE, {"id": oid, "r": "超出职责"}, w["admin1"], headers=headers)
    assert not first.get("errors") and first["data"] == again["data"]
    assert await platform.parts["linkage.hops"].coll.count_documents({"orderId": oid}) == 1
    created = [await gql(DEPT, {"input": {"regionId": w["s1"], "name": "司法所"}}, w["street1"],
                         headers={"Idempotency-Key": "dept-1"}) for _ in range(2)]
    assert not created[1].get("errors") and created[0]["data"] == created[1]["data"]
    assert await platform.parts["linkage.departments"].coll.count_documents({"name": "司法所"}) == 1


async def test_overdue_escalation_alerts_the_level_above(gql, platform, tree):
    w = await setup(gql, platform, tree)
    await gql.ok(ESCALATE, {"id": w["order"], "r": "超出职责"}, token=w["admin1"])
    assert await alert_overdue(platform) == 0  # not due yet (street: 48 h by default)
    later = datetime.now(UTC) + timedelta(hours=49)
    assert await alert_overdue(platform, now=later) == 1
    assert await alert_overdue(platform, now=later) == 0  # once per hop
    inbox = (await gql.ok("{ myNotifications { totalCount edges { node { title state page } } } }",
                          token=w["district1"]))["myNotifications"]
    assert inbox["totalCount"] == 1 and "超时" in inbox["edges"][0]["node"]["state"]
    assert inbox["edges"][0]["node"]["page"] == f"/pages/work-orders/detail?id={w['order']}"
    for token in (w["district2"], w["street2"]):
        assert (await gql.ok("{ myNotifications { totalCount } }", token=token))["myNotifications"]["totalCount"] == 0
    assert (await gql.ok(QUEUE, token=w["street1"]))["linkageQueue"]["totalCount"] == 1
    # the street was told it has a new order to handle
    assert (await gql.ok("{ myNotifications { totalCount } }", token=w["street1"]))["myNotifications"]["totalCount"] == 1
