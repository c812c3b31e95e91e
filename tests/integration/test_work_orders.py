"""The work-order flow: submission rules, every transition, concurrency, idempotency, SLA."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from community_plus.demo import data as dd
from community_plus.domains.work_orders.service import close_stale_resolved
from workorder_fixtures import GOOD_ANSWERS, SUBMIT, published_item, resident1, resident_token  # noqa: F401

ACT = {
    "accept": "mutation($id: ID!) { acceptWorkOrder(id: $id) { state } }",
    "reject": "mutation($id: ID!) { rejectWorkOrder(id: $id, reason: \"材料不全\") { state rejectReason } }",
    "assign": "mutation($id: ID!) { assignWorkOrder(id: $id) { state assignee { name } } }",
    "start": "mutation($id: ID!) { startWorkOrder(id: $id) { state } }",
    "resolve": "mutation($id: ID!) { resolveWorkOrder(id: $id, note: \"已修好\") { state resolution } }",
    "rate": "mutation($id: ID!) { rateWorkOrder(id: $id, score: 5, comment: \"满意\") { state rating { score } } }",
    "cancel": "mutation($id: ID!) { cancelWorkOrder(id: $id, reason: \"不需要了\") { state } }",
}
# who may do each action, and from which states
ALLOWED = {"accept": ("admin", {"submitted"}), "reject": ("admin", {"submitted", "accepted"}),
           "assign": ("admin", {"accepted", "assigned"}), "start": ("worker", {"assigned"}),
           "resolve": ("worker", {"in_progress"}), "rate": ("resident", {"resolved"}),
           "cancel": ("resident", {"submitted", "accepted", "assigned"})}
PATH = {"submitted": [], "accepted": ["accept"], "assigned": ["accept", "assign"],
        "in_progress": ["accept", "assign", "start"], "resolved": ["accept", "assign", "start", "resolve"],
        "closed": ["accept", "assign", "start", "resolve", "rate"], "rejected": ["reject"], "cancelled": ["cancel"]}


@pytest.fixture
async def actors(gql, world, resident1):
    return {"admin": await gql.login("admin001"), "worker": await gql.login("gw0011"),
            "other_worker": await gql.login("gw0012"), "resident": resident1["token"],
            "other_admin": await gql.login("admin002")}


async def _report(gql, token, **extra) -> dict:
    return (await gql.ok(SUBMIT, {"input": {"description": "楼道灯不亮了", **extra}}, token=token))["submitWorkOrder"]


async def _order_in(gql, actors, resident1, platform, state: str) -> str:
    g1 = (await platform.grids.of_community(resident1["doc"]["communityId"]))[0]["_id"]
    await platform.residents.coll.update_one({"_id": resident1["doc"]["_id"]}, {"$set": {"gridId": g1}})
    order = await _report(gql, actors["resident"])
    for action in PATH[state]:
        await gql.ok(ACT[action], {"id": order["id"]}, token=actors[ALLOWED[action][0]])
    return order["id"]


async def test_happy_path_with_timeline_and_routing(gql, world, platform, actors, resident1):
    oid = await _order_in(gql, actors, resident1, platform, "closed")
    q = """query($id: ID!) { workOrder(id: $id) { state assignee { name } rating { score }
        timeline { action fromState toState actorRole note } } }"""
    data = (await gql.ok(q, {"id": oid}, token=actors["resident"]))["workOrder"]
    assert data["state"] == "CLOSED" and data["rating"]["score"] == 5
    assert [e["action"] for e in data["timeline"]] == ["submit", "accept", "assign", "start", "resolve", "rate"]
    assert data["timeline"][1]["actorRole"] == "COMMUNITY_ADMIN"
    assert data["assignee"]["name"].endswith("（网格员）")  # routed to the resident's grid worker by default


@pytest.mark.parametrize("state", list(PATH))
async def test_every_transition_from_every_state(gql, world, platform, actors, resident1, state):
    """Right role and state → ok; wrong role → FORBIDDEN; wrong state → CONFLICT."""
    oid = await _order_in(gql, actors, resident1, platform, state)
    for action, (role, from_states) in ALLOWED.items():
        wrong_roles = [r for r in ("admin", "worker", "resident") if r != role]
        for wrong in wrong_roles:
            body = await gql(ACT[action], {"id": oid}, token=actors[wrong])
            code = body["errors"][0]["extensions"]["code"]
            # a worker who cannot see… sees it here (own grid); a resident sees own order: so FORBIDDEN
            assert code == "FORBIDDEN", (action, wrong, state, body)
        if state not in from_states:
            err = await gql.error("CONFLICT", ACT[action], {"id": oid}, token=actors[role])
            assert err["extensions"]["state"] == state.upper()  # as WorkOrderState spells it
    # out of scope entirely: another community's admin cannot even see it
    await gql.error("NOT_FOUND", ACT["accept"], {"id": oid}, token=actors["other_admin"])


async def test_unassigned_worker_cannot_start(gql, world, platform, actors, resident1):
    oid = await _order_in(gql, actors, resident1, platform, "assigned")
    body = await gql(ACT["start"], {"id": oid}, token=actors["other_worker"])
    assert body["errors"][0]["extensions"]["code"] in ("FORBIDDEN", "NOT_FOUND")


async def test_concurrent_transitions_have_one_winner(gql, world, platform, actors, resident1):
    oid = await _order_in(gql, actors, resident1, platform, "submitted")
    results = await asyncio.gather(*[gql(ACT["accept"], {"id": oid}, token=actors["admin"]) for _ in range(8)])
    winners = [r for r in results if not r.get("errors")]
    assert len(winners) == 1, results
    assert all(r["errors"][0]["extensions"]["code"] == "CONFLICT" for r in results if r.get("errors"))
    doc = await platform.work_orders.coll.find_one({"_id": oid})
    assert len(doc["timeline"]) == 2 and doc["version"] == 2
    # the worker starting while the resident cancels: they exclude each other
    oid = await _order_in(gql, actors, resident1, platform, "assigned")
    start, cancel = await asyncio.gather(gql(ACT["start"], {"id": oid}, token=actors["worker"]),
                                         gql(ACT["cancel"], {"id": oid}, token=actors["resident"]))
    assert [bool(start.get("errors")), bool(cancel.get("errors"))].count(False) == 1, (start, cancel)
    doc = await platform.work_orders.coll.find_one({"_id": oid})
    assert doc["state"] in ("in_progress", "cancelled") and len(doc["timeline"]) == 4


async def test_form_validation_and_eligibility(gql, world, platform, published_item, resident1):
    token = resident1["token"]
    bad = {"phone": "123", "preferredDate": "2026-13-45", "count": 9, "services": ["跳舞"], "idNumber": "110101199001011230",
           "photo": "../../etc/passwd", "extra": 1}
    err = await gql.error("BAD_USER_INPUT", SUBMIT, {"input": {"itemId": published_item["id"], "answers": bad}}, token=token)
    paths = {f["path"] for f in err["extensions"]["fields"]}
    assert paths == {"input.answers.phone", "input.answers.preferredDate", "input.answers.count",
                     "input.answers.services.0", "input.answers.idNumber", "input.answers.photo", "input.answers.extra"}
    err = await gql.error("BAD_USER_INPUT", SUBMIT, {"input": {"itemId": published_item["id"], "answers": {}}}, token=token)
    assert {f["path"] for f in err["extensions"]["fields"]} == {"input.answers.phone", "input.answers.preferredDate"}
    # eligibility: only the elderly may apply
    admin = await gql.login("admin001")
    await gql.ok("""mutation($id: ID!) { updateServiceItem(id: $id, input: {eligibility: {tags: [ELDERLY], ageMin: 60}}) { id } }""",
                 {"id": published_item["id"]}, token=admin)
    young = await platform.residents.coll.find_one({"communityId": world["communities"][0]["_id"], "tags": {"$ne": "elderly"},
                                                    "birthDate": {"$gt": datetime.now(UTC) - timedelta(days=365 * 59)}})
    young_token = await resident_token(platform, young)
    err = await gql.error("FORBIDDEN", SUBMIT, {"input": {"itemId": published_item["id"], "answers": GOOD_ANSWERS}},
                          token=young_token)
    assert len(err["extensions"]["reasons"]) == 2
    # unknown or unpublished items
    await gql.error("BAD_USER_INPUT", SUBMIT, {"input": {"itemId": "nope", "answers": {}}}, token=token)
    await gql.error("BAD_USER_INPUT", SUBMIT, {"input": {"description": "  "}}, token=token)


async def test_report_location_routes_to_grid(gql, world, platform, resident1):
    lon, lat = dd.community_origin(0)
    grids = await platform.grids.of_community(world["communities"][0]["_id"])
    order = await _report(gql, resident1["token"], longitude=lon + 0.011, latitude=lat + 0.001)
    assert order["gridId"] == grids[1]["_id"] and order["kind"] == "report"
    await gql.error("BAD_USER_INPUT", SUBMIT, {"input": {"description": "x", "longitude": 500.0}}, token=resident1["token"])


async def test_staff_submit_for_resident_in_scope(gql, world, platform):
    c1 = world["communities"][0]["_id"]
    g1 = world["grids"][c1][0]["_id"]
    worker = await gql.login("gw0011")
    mine = await platform.residents.coll.find_one({"gridId": g1})
    other = await platform.residents.coll.find_one({"communityId": c1, "gridId": {"$ne": g1}})
    order = await _report(gql, worker, residentId=mine["_id"])
    assert order["residentId"] == mine["_id"]
    await gql.error("NOT_FOUND", SUBMIT, {"input": {"description": "x", "residentId": other["_id"]}}, token=worker)
    await gql.error("BAD_USER_INPUT", SUBMIT, {"input": {"description": "x"}}, token=worker)


GUARDIANSHIP = """mutation($g: ID!, $w: ID!) { addGuardianship(guardianResidentId: $g, wardResidentId: $w,
  relation: PARENT) { id } }"""


async def test_resident_submits_for_a_ward_only(gql, world, platform, resident1):
    """A resident files for themselves or a ward they are guardian of; for anyone else FORBIDDEN."""
    c1 = world["communities"][0]["_id"]
    ward, stranger = await platform.residents.coll.find(
        {"communityId": c1, "_id": {"$ne": resident1["doc"]["_id"]}}).limit(2).to_list()
    token = resident1["token"]
    await gql.error("FORBIDDEN", SUBMIT, {"input": {"description": "漏水", "residentId": ward["_id"]}}, token=token)
    await gql.ok(GUARDIANSHIP, {"g": resident1["doc"]["_id"], "w": ward["_id"]}, token=await gql.login("admin001"))
    order = await _report(gql, token, residentId=ward["_id"])
    assert order["residentId"] == ward["_id"] and order["state"] == "SUBMITTED"
    assert (await _report(gql, token))["residentId"] == resident1["doc"]["_id"]
    await gql.error("FORBIDDEN", SUBMIT, {"input": {"description": "漏水", "residentId": stranger["_id"]}}, token=token)


async def test_idempotent_submit_and_rate(gql, world, platform, actors, resident1):
    token = resident1["token"]
    first = await _report(gql, token, idempotencyKey="k-1")
    again = await asyncio.gather(*[_report(gql, token, idempotencyKey="k-1") for _ in range(3)])
    assert {o["id"] for o in again} == {first["id"]}
    assert await platform.work_orders.coll.count_documents({"idempotencyKey": "k-1"}) == 1
    err = await gql.error("CONFLICT", SUBMIT, {"input": {"description": "另一个问题", "idempotencyKey": "k-1"}}, token=token)
    assert "idempotency" in err["message"]
    # the same key from another user is independent
    other = await resident_token(platform, await platform.residents.coll.find_one(
        {"communityId": world["communities"][0]["_id"], "_id": {"$ne": resident1["doc"]["_id"]}}))
    assert (await _report(gql, other, idempotencyKey="k-1"))["id"] != first["id"]
    # rating
    oid = await _order_in(gql, actors, resident1, platform, "resolved")
    rate = "mutation($id: ID!, $s: Int!, $k: String) { rateWorkOrder(id: $id, score: $s, idempotencyKey: $k) { state version rating { score } } }"
    r1 = (await gql.ok(rate, {"id": oid, "s": 4, "k": "r-1"}, token=token))["rateWorkOrder"]
    r2 = (await gql.ok(rate, {"id": oid, "s": 4, "k": "r-1"}, token=token))["rateWorkOrder"]
    assert r1 == r2 and r1["state"] == "CLOSED"
    await gql.error("CONFLICT", rate, {"id": oid, "s": 2, "k": "r-1"}, token=token)
    await gql.error("BAD_USER_INPUT", rate, {"id": oid, "s": 9}, token=token)


async def test_overdue_and_auto_close(gql, world, platform, actors, resident1):
    overdue_id = await _order_in(gql, actors, resident1, platform, "assigned")
    await platform.work_orders.coll.update_one({"_id": overdue_id}, {"$set": {"dueAt": datetime.now(UTC) - timedelta(hours=1)}})
    fresh_id = await _order_in(gql, actors, resident1, platform, "submitted")
    q = "query($f: WorkOrderFilter) { workOrders(filter: $f) { totalCount edges { node { id overdue } } } }"
    data = (await gql.ok(q, {"f": {"overdue": True}}, token=actors["admin"]))["workOrders"]
    assert [e["node"]["id"] for e in data["edges"]] == [overdue_id] and data["edges"][0]["node"]["overdue"]
    fresh = await gql.ok("query($id: ID!) { workOrder(id: $id) { overdue } }", {"id": fresh_id}, token=actors["admin"])
    assert fresh["workOrder"]["overdue"] is False
    resolved_id = await _order_in(gql, actors, resident1, platform, "resolved")
    assert await close_stale_resolved(platform, days=7) == 0
    later = datetime.now(UTC) + timedelta(days=8)
    assert await close_stale_resolved(platform, days=7, now=later) == 1
    doc = await platform.work_orders.coll.find_one({"_id": resolved_id})
    assert doc["state"] == "closed" and doc["autoClosed"] and doc["timeline"][-1]["actorRole"] == "system"


async def test_list_filters_and_worker_view(gql, world, platform, actors, resident1):
    assigned = await _order_in(gql, actors, resident1, platform, "assigned")
    await _order_in(gql, actors, resident1, platform, "submitted")
    q = "query($f: WorkOrderFilter) { workOrders(filter: $f) { totalCount edges { node { id state } } } }"
    mine = (await gql.ok(q, {"f": {"assignedToMe": True}}, token=actors["worker"]))["workOrders"]
    assert [e["node"]["id"] for e in mine["edges"]] == [assigned]
    states = (await gql.ok(q, {"f": {"states": ["SUBMITTED"]}}, token=actors["admin"]))["workOrders"]
    assert all(e["node"]["state"] == "SUBMITTED" for e in states["edges"]) and states["totalCount"] == 1
    own = (await gql.ok(q, {}, token=actors["resident"]))["workOrders"]
    assert own["totalCount"] == 2
    other = (await gql.ok(q, {}, token=actors["other_admin"]))["workOrders"]
    assert other["totalCount"] == 0


def _paths(err: dict) -> set[str]:
    return {f["path"] for f in err["extensions"]["fields"]}


async def test_located_report_outside_the_community_is_refused_not_misfiled(gql, world, platform, resident1):
    """A pin 1,500 km away was filed under the resident's own grid. A point must lie in one
    of the community's grids; otherwise BAD_USER_INPUT on the location, and nothing is filed."""
    token = resident1["token"]
    lon, lat = dd.community_origin(0)
    before = await platform.work_orders.coll.count_documents({})
    for where in ({"longitude": lon + 15.0, "latitude": lat - 4.0},   # about 1,500 km away
                  {"longitude": lon - 0.05, "latitude": lat - 0.05}):  # just outside every grid
        err = await gql.error("BAD_USER_INPUT", SUBMIT, {"input": {"description": "井盖丢了", **where}}, token=token)
        assert _paths(err) == {"input.longitude", "input.latitude"}
        assert "网格" in err["message"] and "grid" in err["message"]
    # the other community's grids do not count either
    lon2, lat2 = dd.community_origin(1)
    err = await gql.error("BAD_USER_INPUT", SUBMIT, {"input": {"description": "x", "longitude": lon2 + 0.001,
                                                               "latitude": lat2 + 0.001}}, token=token)
    assert _paths(err) == {"input.longitude", "input.latitude"}
    assert await platform.work_orders.coll.count_documents({}) == before
    # half a location, or out of range, names the coordinate at fault
    err = await gql.error("BAD_USER_INPUT", SUBMIT, {"input": {"description": "x", "latitude": lat}}, token=token)
    assert _paths(err) == {"input.longitude"}
    err = await gql.error("BAD_USER_INPUT", SUBMIT, {"input": {"description": "x", "longitude": lon, "latitude": 95.0}},
                          token=token)
    assert _paths(err) == {"input.latitude"}
    # without a location the report goes to the resident's grid, as before
    assert (await _report(gql, token))["gridId"] == resident1["doc"]["gridId"]


async def test_enum_spellings_in_timeline_errors_and_filters(gql, world, platform, actors, resident1):
    oid = await _order_in(gql, actors, resident1, platform, "cancelled")
    err = await gql.error("CONFLICT", ACT["accept"], {"id": oid}, token=actors["admin"])
    assert err["extensions"]["state"] == "CANCELLED" and "CANCELLED" in err["message"] and "已撤销" in err["message"]
    q = "query($id: ID!) { workOrder(id: $id) { timeline { actorRole fromState toState } } }"
    timeline = (await gql.ok(q, {"id": oid}, token=actors["resident"]))["workOrder"]["timeline"]
    assert [e["actorRole"] for e in timeline] == ["RESIDENT", "RESIDENT"]
    assert timeline[-1]["toState"] == "CANCELLED"
    audit = await platform.audit.coll.find_one({"entityId": oid, "action": "cancel"})
    assert audit["details"]["toState"] == "CANCELLED"  # the auditEntries JSON spells it as the schema does
    # the system closes stale orders: SYSTEM, an ActorRole like the others
    resolved = await _order_in(gql, actors, resident1, platform, "resolved")
    await close_stale_resolved(platform, days=7, now=datetime.now(UTC) + timedelta(days=8))
    timeline = (await gql.ok(q, {"id": resolved}, token=actors["resident"]))["workOrder"]["timeline"]
    assert timeline[-1]["actorRole"] == "SYSTEM"


async def test_list_time_filters_and_note_lengths(gql, world, platform, actors, resident1):
    oid = await _order_in(gql, actors, resident1, platform, "submitted")
    q = "query($f: WorkOrderFilter) { workOrders(filter: $f) { totalCount } }"
    naive_past = (datetime.now(UTC) - timedelta(hours=1)).replace(tzinfo=None).isoformat()  # no offset: UTC
    assert (await gql.ok(q, {"f": {"since": naive_past}}, token=actors["admin"]))["workOrders"]["totalCount"] == 1
    now = datetime.now(UTC)
    err = await gql.error("BAD_USER_INPUT", q, {"f": {"since": now.isoformat(), "until": (now - timedelta(1)).isoformat()}},
                          token=actors["admin"])
    assert _paths(err) == {"filter.since"}
    err = await gql.error("BAD_USER_INPUT", q, {"f": {"until": "0001-01-01T00:00:00+08:00"}}, token=actors["admin"])
    assert _paths(err) == {"filter.until"}
    note = "mutation($id: ID!, $n: String) { acceptWorkOrder(id: $id, note: $n) { state } }"
    err = await gql.error("BAD_USER_INPUT", note, {"id": oid, "n": "长" * 1001}, token=actors["admin"])
    assert _paths(err) == {"note"}
    assert (await gql.ok(note, {"id": oid, "n": "收到"}, token=actors["admin"]))["acceptWorkOrder"]["state"] == "ACCEPTED"
    err = await gql.error("BAD_USER_INPUT", SUBMIT, {"input": {"description": "x", "idempotencyKey": "k" * 101}},
                          token=resident1["token"])
    assert _paths(err) == {"input.idempotencyKey"}
