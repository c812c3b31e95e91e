"""Home visits end to end: a visit plan makes priority-group residents due on the grid
worker's Today screen; a visit (location checked against the grid, photos, follow-up work
order) clears it; admins see every visit; history reads are audited; nothing crosses
communities or grids."""

from __future__ import annotations

from shapely.geometry import shape

PLAN = """mutation($t: ResidentTag!, $d: Int!, $c: ID) { setVisitPlan(tag: $t, intervalDays: $d, communityId: $c) {
  id tag intervalDays communityId } }"""
TODAY = """{ workOrders(filter: {assignedToMe: true}) { totalCount }
  visitsDue { totalCount overdueCount items { resident { id name } tag intervalDays lastVisitedAt dueAt overdue } } }"""
RECORD = """mutation($i: RecordVisitInput!) { recordVisit(input: $i) { id residentId gridId purpose notes
  locationCheck followUp workOrderId workerName visitedAt } }"""
VISITS = """query($r: ID) { visits(filter: {residentId: $r}) { totalCount edges { node { id purpose residentId } } } }"""
VISIT = "query($id: ID!) { visit(id: $id) { id } }"
DETAIL = "query($id: ID!) { resident(id: $id) { id visits(first: 5) { id purpose notes locationCheck } } }"
TAG = "mutation($id: ID!, $t: [ResidentTag!]) { updateResident(id: $id, input: {tags: $t}) { id tags } }"


async def _setup(gql, platform, world):
    c1 = world["communities"][0]["_id"]
    worker = await platform.users.by_username("gw0011")
    grid = await platform.grids.get(worker["gridIds"][0])
    residents = await platform.residents.coll.find({"gridId": grid["_id"]}).sort("_id", 1).to_list()
    admin = await gql.login("admin001")
    for r in residents[:2]:  # two residents of the worker's grid living alone
        await gql.ok(TAG, {"id": r["_id"], "t": ["LIVING_ALONE", "ELDERLY"]}, token=admin)
    return c1, grid, residents[:2], admin, await gql.login("gw0011")


async def test_visit_plan_due_visit_recorded(gql, world, platform):
    c1, grid, (first, second), admin, worker = await _setup(gql, platform, world)
    assert (await gql.ok(TODAY, token=worker))["visitsDue"]["totalCount"] == 0  # no plan yet
    plan = (await gql.ok(PLAN, {"t": "LIVING_ALONE", "d": 7}, token=admin))["setVisitPlan"]
    assert plan == {"id": f"{c1}:living_alone", "tag": "LIVING_ALONE", "intervalDays": 7, "communityId": c1}
    await gql.error("FORBIDDEN", PLAN, {"t": "LIVING_ALONE", "d": 7}, token=worker)
    await gql.error("BAD_USER_INPUT", PLAN, {"t": "LIVING_ALONE", "d": 0}, token=admin)

    in_grid = await platform.residents.coll.count_documents({"gridId": grid["_id"], "tags": "living_alone"})
    due = (await gql.ok(TODAY, token=worker))["visitsDue"]
    assert due["totalCount"] == due["overdueCount"] == in_grid >= 2
    ids = {i["resident"]["id"] for i in due["items"]}
    assert {first["_id"], second["_id"]} <= ids
    assert all(i["overdue"] and i["dueAt"] is None and i["tag"] == "LIVING_ALONE" for i in due["items"])

    inside = shape(grid["boundary"]).representative_point()
    visit = (await gql.ok(RECORD, {"i": {"residentId": first["_id"], "purpose": "CARE", "notes": "身体健康，独居需关注",
                                         "longitude": inside.x, "latitude": inside.y,
                                         "followUp": {"description": "门锁损坏，需维修"}}}, token=worker))["recordVisit"]
    assert visit["locationCheck"] == "IN_GRID" and visit["followUp"] and visit["gridId"] == grid["_id"]
    order = (await gql.ok("query($id: ID!) { workOrder(id: $id) { state description resident { id } } }",
                          {"id": visit["workOrderId"]}, token=admin))["workOrder"]
    assert order == {"state": "SUBMITTED", "description": "门锁损坏，需维修", "resident": {"id": first["_id"]}}

    due = (await gql.ok(TODAY, token=worker))["visitsDue"]
    assert first["_id"] not in {i["resident"]["id"] for i in due["items"]} and due["totalCount"] == in_grid - 1

    far = (await gql.ok(RECORD, {"i": {"residentId": second["_id"], "longitude": 0.0, "latitude": 0.0}},
                        token=worker))["recordVisit"]
    assert far["locationCheck"] == "OUTSIDE_GRID" and far["purpose"] == "ROUTINE" and far["workOrderId"] is None
    plain = (await gql.ok(RECORD, {"i": {"residentId": second["_id"]}}, token=worker))["recordVisit"]
    assert plain["locationCheck"] == "NO_LOCATION"

    # The community admin sees every visit; the resident's detail carries the history (audited).
    listed = (await gql.ok(VISITS, {"r": None}, token=admin))["visits"]
    assert listed["totalCount"] == 3
    detail = (await gql.ok(DETAIL, {"id": first["_id"]}, token=admin))["resident"]
    assert [v["id"] for v in detail["visits"]] == [visit["id"]] and detail["visits"][0]["notes"] == "身体健康，独居需关注"
    assert await platform.audit.coll.count_documents({"action": "visit_history_read", "entityId": first["_id"]}) >= 1
    await gql.error("BAD_USER_INPUT", "query($id: ID!) { resident(id: $id) { visits(first: 50) { id } } }",
                    {"id": first["_id"]}, token=admin)


async def test_visits_stay_in_their_community_and_grid(gql, world, platform):
    c1, grid, (first, _second), admin, worker = await _setup(gql, platform, world)
    visit = (await gql.ok(RECORD, {"i": {"residentId": first["_id"]}}, token=worker))["recordVisit"]
    admin2 = await gql.login("admin002")
    await gql.error("NOT_FOUND", VISIT, {"id": visit["id"]}, token=admin2)
    assert (await gql.ok(VISITS, {"r": first["_id"]}, token=admin2))["visits"]["totalCount"] == 0
    await gql.error("BAD_USER_INPUT", PLAN, {"t": "ELDERLY", "d": 7, "c": c1}, token=admin2)
    assert (await gql.ok("query($c: ID) { visitPlans(communityId: $c) { id } }", {}, token=admin2))["visitPlans"] == []
    worker2 = await gql.login("gw0021")
    await gql.error("NOT_FOUND", RECORD, {"i": {"residentId": first["_id"]}}, token=worker2)
    other_grid = await gql.login("gw0012")  # same community, another grid
    await gql.error("NOT_FOUND", RECORD, {"i": {"residentId": first["_id"]}}, token=other_grid)
    await gql.error("NOT_FOUND", VISIT, {"id": visit["id"]}, token=other_grid)
    assert (await gql.ok(VISITS, {"r": None}, token=other_grid))["visits"]["totalCount"] == 0
    region = await gql.login("nanjing")
    assert (await gql.ok(VISITS, {"r": None}, token=region))["visits"]["totalCount"] == 1

    from workorder_fixtures import resident_token

    resident = await resident_token(platform, first)
    await gql.error("FORBIDDEN", TODAY, token=resident)
    await gql.error("FORBIDDEN", DETAIL, {"id": first["_id"]}, token=resident)
    await gql.error("FORBIDDEN", RECORD, {"i": {"residentId": first["_id"]}}, token=resident)
    err = await gql.error("BAD_USER_INPUT", RECORD, {"i": {"residentId": first["_id"], "longitude": 500.0}},
                          token=worker)
    assert {f["path"] for f in err["extensions"]["fields"]} == {"input.longitude", "input.latitude"}


async def test_record_visit_is_idempotent_with_its_follow_up(gql, world, platform):
    _c1, _grid, (first, _), _admin, worker = await _setup(gql, platform, world)
    variables = {"i": {"residentId": first["_id"], "followUp": {"description": "楼道灯不亮"}}}
    headers = {"Authorization": f"Bearer {worker}", "Idempotency-Key": "visit-1"}
    one = await (await gql.http.post("/graphql", json={"query": RECORD, "variables": variables},
                                       headers=headers)).json()
    two = await (await gql.http.post("/graphql", json={"query": RECORD, "variables": variables},
                                       headers=headers)).json()
    assert one["data"]["recordVisit"] == two["data"]["recordVisit"]
    assert await platform.db["visits"].count_documents({"residentId": first["_id"]}) == 1
    assert await platform.work_orders.coll.count_documents({"residentId": first["_id"],
                                                            "description": "楼道灯不亮"}) == 1


async def test_visit_photos_follow_the_visit(client, gql, world, platform):
    from media_fixtures import fetch, jpeg_with_gps, upload_form

    _c1, _grid, (first, _), admin, worker = await _setup(gql, platform, world)
    resp = await client.post("/upload", data=upload_form(jpeg_with_gps(), "door.jpg", "photo"),
                             headers={"Authorization": f"Bearer {worker}"})
    assert resp.status == 200, await resp.text()
    photo = (await resp.json())["id"]
    visit = (await gql.ok(RECORD.replace("workerName", "workerName photoIds"),
                          {"i": {"residentId": first["_id"], "photos": [photo]}}, token=worker))["recordVisit"]
    assert visit["photoIds"] == [photo]
    doc = await platform.db["files"].find_one({"_id": photo})
    assert doc["attachedTo"]["entity"] == "visit" and doc["attachedTo"]["id"] == visit["id"]
    file = "query($id: ID!) { file(id: $id) { id url } }"
    url = (await gql.ok(file, {"id": photo}, token=admin))["file"]["url"]
    assert (await fetch(url))[0] == 200
    await gql.error("NOT_FOUND", file, {"id": photo}, token=await gql.login("gw0012"))  # another grid
    await gql.error("NOT_FOUND", file, {"id": photo}, token=await gql.login("admin002"))
    # A photo cannot be attached to a second visit.
    await gql.error("BAD_USER_INPUT", RECORD, {"i": {"residentId": first["_id"], "photos": [photo]}}, token=worker)
