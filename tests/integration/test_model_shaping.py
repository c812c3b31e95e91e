"""Declarative models that can be shaped (tests/plugins/cp_test_shapes): operations opted out
of are not generated, read-only fields are computed by `before_save` and absent from inputs,
cross-field problems and `min_items` are BAD_USER_INPUT naming the field, a field may be
called `description`, the manifest carries the model, and typed settings are validated with
bilingual messages."""

from __future__ import annotations

SET = """mutation($c: ID!, $m: String!, $e: Boolean) { setModuleEnabled(communityId: $c, module: $m, enabled: $e) {
  name enabled } }"""
BOOK = """mutation($i: CreateRoomBookingInput!) { createRoomBooking(input: $i) { id description startsOn endsOn
  rooms nights version } }"""
FIELDS = """{ __schema { mutationType { fields { name } } } inputs: __type(name: "CreateRoomBookingInput") {
  inputFields { name } } }"""


async def test_a_shaped_model(gql, world):
    c1 = world["communities"][0]["_id"]
    admin = await gql.login("admin001")
    await gql.ok(SET, {"c": c1, "m": "test_shapes", "e": True}, token=admin)

    shape = await gql.ok(FIELDS, token=admin)
    mutations = {f["name"] for f in shape["__schema"]["mutationType"]["fields"]}
    assert {"createRoomBooking", "deleteRoomBooking"} <= mutations and "updateRoomBooking" not in mutations
    assert {f["name"] for f in shape["inputs"]["inputFields"]} == {"description", "startsOn", "endsOn", "rooms"}

    booked = (await gql.ok(BOOK, {"i": {"description": "书法班", "startsOn": "2030-05-01", "endsOn": "2030-05-04",
                                        "rooms": ["101"]}}, token=admin))["createRoomBooking"]
    assert booked["nights"] == 3 and booked["description"] == "书法班"  # computed by before_save

    err = await gql.error("BAD_USER_INPUT", BOOK, {"i": {"description": "x", "startsOn": "2030-05-04",
                                                         "endsOn": "2030-05-01", "rooms": []}}, token=admin)
    assert {f["path"] for f in err["extensions"]["fields"]} == {"input.rooms"}  # field checks first
    err = await gql.error("BAD_USER_INPUT", BOOK, {"i": {"description": "x", "startsOn": "2030-05-04",
                                                         "endsOn": "2030-05-01", "rooms": ["1"]}}, token=admin)
    assert err["extensions"]["fields"] == [{"path": "input.endsOn",
                                            "message": "离开日期应晚于入住日期 (must be after startsOn)"}]
    listed = await gql.ok("{ roomBookings { totalCount edges { node { nights } } } }", token=admin)
    assert listed["roomBookings"]["totalCount"] == 1


async def test_typed_settings_schema_and_bilingual_refusals(gql, world):
    c1 = world["communities"][0]["_id"]
    admin = await gql.login("admin001")
    await gql.ok(SET, {"c": c1, "m": "test_shapes", "e": True}, token=admin)
    modules = await gql.ok("query($c: ID) { modules(communityId: $c) { name settings settingsSchema } }", {"c": c1},
                           token=admin)
    shapes = next(m for m in modules["modules"] if m["name"] == "test_shapes")
    assert shapes["settings"] == {"maxNights": 7}
    assert shapes["settingsSchema"]["properties"]["maxNights"]["title"] == "最多预订晚数"
    upd = """mutation($s: JSON!) { updateModuleSettings(communityId: "%s", module: "test_shapes", settings: $s) {
      settings } }""" % c1
    err = await gql.error("BAD_USER_INPUT", upd, {"s": {"maxNights": 99}}, token=admin)
    assert err["extensions"]["fields"] == [{"path": "settings.maxNights", "message": "不能大于 30 (must be ≤ 30)"}]


# -- references between models, on-delete behaviour, after_save ---------------------------------
HOST = "mutation($i: CreateHostInput!) { createHost(input: $i) { id } }"
HALL = "mutation($i: CreateHallInput!) { createHall(input: $i) { id eventsHeld } }"
EVENT = """mutation($i: CreateHallEventInput!) { createHallEvent(input: $i) { id hallId hall { name seats }
  hostId host { name } } }"""
TICKET = "mutation($i: CreateTicketInput!) { createTicket(input: $i) { id event { title hall { name } } } }"
EVENTS = """query($h: ID) { hallEvents(filter: {hallId: $h}, first: 50) { totalCount edges { node { title
  hall { name eventsHeld } host { name } } } } }"""


async def _enabled(gql, world, user="admin001", community=0):
    admin = await gql.login(user)
    await gql.ok(SET, {"c": world["communities"][community]["_id"], "m": "test_shapes", "e": True}, token=admin)
    return admin


async def _create(gql, token, query, values):
    data = await gql.ok(query, {"i": values}, token=token)
    return next(iter(data.values()))


async def test_references_are_checked_resolved_and_indexed(gql, world, platform):
    admin = await _enabled(gql, world)
    other = await _enabled(gql, world, "admin002", 1)
    hall = await _create(gql, admin, HALL, {"name": "大厅", "seats": 40})
    assert hall["eventsHeld"] == 0
    elsewhere = await _create(gql, other, HALL, {"name": "别处", "seats": 40})
    host = await _create(gql, admin, HOST, {"name": "王老师"})

    for bad in ("no-such-hall", elsewhere["id"]):  # absent, or another community's
        err = await gql.error("BAD_USER_INPUT", EVENT, {"i": {"title": "讲座", "hallId": bad, "seatsWanted": 5}},
                              token=admin)
        assert err["extensions"]["fields"] == [{"path": "input.hallId",
                                                "message": "所选活动厅 (a hall)不存在或不在本社区 "
                                                           "(no Hall with this id in the community)"}]
    event = await _create(gql, admin, EVENT, {"title": "讲座", "hallId": hall["id"], "hostId": host["id"],
                                              "seatsWanted": 5})
    assert event["hall"] == {"name": "大厅", "seats": 40} and event["host"] == {"name": "王老师"}
    ticket = await _create(gql, admin, TICKET, {"eventId": event["id"], "holder": "李阿姨"})
    assert ticket["event"] == {"title": "讲座", "hall": {"name": "大厅"}}
    assert (await gql.ok(EVENTS, {"h": hall["id"]}, token=admin))["hallEvents"]["totalCount"] == 1

    indexes = await platform.db["test_shapes__hall_events"].index_information()
    keys = [tuple(k for k, _ in spec["key"]) for spec in indexes.values()]
    assert ("communityId", "hall_id") in keys and ("communityId", "host_id") in keys


async def test_referenced_rows_load_in_one_batch(gql, world, platform, command_counter):
    from community_plus.platform import db as dbm

    admin = await _enabled(gql, world)
    halls = [await _create(gql, admin, HALL, {"name": f"厅{i}", "seats": 40}) for i in range(3)]
    host = await _create(gql, admin, HOST, {"name": "王老师"})
    client = dbm.connect(platform.settings.mongodb_uri, event_listeners=[command_counter])
    counting, db = dbm.database_of(client), platform.db
    counts = {}
    try:
        for n in (2, 12):
            while len(counts.get("made", [])) < n:
                i = len(counts.setdefault("made", []))
                counts["made"].append(await _create(gql, admin, EVENT, {"title": f"活动{i}", "hallId": halls[i % 3]["id"],
                                                                        "hostId": host["id"], "seatsWanted": 1}))
            platform.db = counting  # module collections counted too, for this read only
            data, counts[n] = await command_counter.run(gql, EVENTS, {"h": None}, token=admin)
            platform.db = db
            assert len(data["hallEvents"]["edges"]) == n
            assert all(e["node"]["hall"]["name"].startswith("厅") for e in data["hallEvents"]["edges"])
    finally:
        platform.db = db
        await client.close()
    assert counts[2] == counts[12], counts  # one query per referenced model, not one per row
    assert counts[12].count("find") == 3, counts  # the page, its halls, its hosts


async def test_after_save_checks_against_the_referenced_row_inside_the_transaction(gql, world):
    admin = await _enabled(gql, world)
    hall = await _create(gql, admin, HALL, {"name": "小厅", "seats": 10})
    err = await gql.error("BAD_USER_INPUT", EVENT, {"i": {"title": "大会", "hallId": hall["id"], "seatsWanted": 30}},
                          token=admin)
    assert err["extensions"]["fields"] == [{"path": "input.seatsWanted",
                                            "message": "超过活动厅座位数10 (more than the hall's 10 seats)"}]
    listed = await gql.ok(EVENTS, {"h": hall["id"]}, token=admin)
    assert listed["hallEvents"]["totalCount"] == 0  # the refused save was rolled back, counter too
    await _create(gql, admin, EVENT, {"title": "小会", "hallId": hall["id"], "seatsWanted": 8})
    hall_now = await gql.ok("query($id: ID!) { hall(id: $id) { eventsHeld version } }", {"id": hall["id"]}, token=admin)
    assert hall_now["hall"]["eventsHeld"] == 1
    update = """mutation($id: ID!, $i: UpdateHallEventInput!) { updateHallEvent(id: $id, input: $i) { seatsWanted } }"""
    event_id = (await gql.ok(EVENTS, {"h": hall["id"]}, token=admin))
    event_id = await gql.ok("{ hallEvents { edges { node { id } } } }", token=admin)
    eid = event_id["hallEvents"]["edges"][0]["node"]["id"]
    err = await gql.error("BAD_USER_INPUT", update, {"id": eid, "i": {"seatsWanted": 11}}, token=admin)
    assert err["extensions"]["fields"][0]["path"] == "input.seatsWanted"
    assert (await gql.ok(update, {"id": eid, "i": {"seatsWanted": 9}}, token=admin))["updateHallEvent"] == {
        "seatsWanted": 9}


async def test_on_delete_restrict_cascade_and_set_null(gql, world):
    admin = await _enabled(gql, world)
    hall = await _create(gql, admin, HALL, {"name": "大厅", "seats": 40})
    host = await _create(gql, admin, HOST, {"name": "王老师"})
    events = [await _create(gql, admin, EVENT, {"title": f"活动{i}", "hallId": hall["id"], "hostId": host["id"],
                                                "seatsWanted": 2}) for i in range(2)]
    ticket = await _create(gql, admin, TICKET, {"eventId": events[0]["id"], "holder": "李阿姨"})

    # set_null: the host goes, the events stay without one
    assert (await gql.ok("mutation($id: ID!) { deleteHost(id: $id) }", {"id": host["id"]}, token=admin))["deleteHost"]
    listed = await gql.ok(EVENTS, {"h": hall["id"]}, token=admin)
    assert [e["node"]["host"] for e in listed["hallEvents"]["edges"]] == [None, None]
    versions = await gql.ok("{ hallEvents { edges { node { hostId version } } } }", token=admin)
    assert {(e["node"]["hostId"], e["node"]["version"]) for e in versions["hallEvents"]["edges"]} == {(None, 2)}

    # restrict, reached through a cascade: nothing is deleted
    err = await gql.error("CONFLICT", "mutation($id: ID!) { deleteHall(id: $id) }", {"id": hall["id"]}, token=admin)
    assert err["extensions"]["reason"] == "REFERENCED" and err["extensions"]["referencedBy"] == "Ticket.eventId"
    assert err["message"].startswith("仍有1条入场券") and "(still referenced by 1 Ticket row(s) through eventId" in err["message"]
    assert (await gql.ok(EVENTS, {"h": hall["id"]}, token=admin))["hallEvents"]["totalCount"] == 2

    # cascade: once the ticket is gone, the hall takes its events with it
    await gql.ok("mutation($id: ID!) { deleteTicket(id: $id) }", {"id": ticket["id"]}, token=admin)
    assert (await gql.ok("mutation($id: ID!) { deleteHall(id: $id) }", {"id": hall["id"]}, token=admin))["deleteHall"]
    assert (await gql.ok(EVENTS, {"h": None}, token=admin))["hallEvents"]["totalCount"] == 0
    await gql.error("NOT_FOUND", "query($id: ID!) { hallEvent(id: $id) { id } }", {"id": events[1]["id"]}, token=admin)


async def test_a_reference_never_dangles_under_a_concurrent_delete(gql, world, platform):
    import asyncio

    admin = await _enabled(gql, world)
    for _ in range(3):
        hall = await _create(gql, admin, HALL, {"name": "大厅", "seats": 40})
        creates = [gql(EVENT, {"i": {"title": f"活动{i}", "hallId": hall["id"], "seatsWanted": 1}}, token=admin)
                   for i in range(4)]
        delete = gql("mutation($id: ID!) { deleteHall(id: $id) }", {"id": hall["id"]}, token=admin)
        results = await asyncio.gather(*creates, delete)
        assert results[-1]["data"]["deleteHall"] is True
        for body in results[:-1]:  # each create either committed before the delete or saw the hall gone
            if body.get("errors"):
                assert body["errors"][0]["extensions"]["fields"][0]["path"] == "input.hallId", body
        left = await platform.db["test_shapes__hall_events"].count_documents({"hall_id": hall["id"]})
        assert left == 0  # the cascade removed every event that committed first; none points at nothing


def test_references_are_declared_soundly():
    import pytest

    from community_plus.modules.registry import link_models
    from community_plus_sdk import Model, fields

    class Canteen(Model):
        name = fields.String()

    with pytest.raises(TypeError, match="ends in _id"):
        type("Bad", (Model,), {"canteen": fields.Ref(Canteen)})
    with pytest.raises(TypeError, match="object_name"):
        type("Bad", (Model,), {"canteen_id": fields.Ref(Canteen), "canteen": fields.String()})
    with pytest.raises(TypeError, match="required reference cannot be set to null"):
        fields.Ref(Canteen, required=True, on_delete="set_null")
    with pytest.raises(TypeError, match="on_delete must be one of"):
        fields.Ref(Canteen, on_delete="ignore")
    with pytest.raises(TypeError, match="reserved"):
        type("Bad", (Model,), {"after_save": fields.String()})

    renamed = type("Shift", (Model,), {"canteen_id": fields.Ref(Canteen, object_name="kitchen")})
    assert renamed.references()["canteen_id"].object_name == "kitchen"
    ordered, referrers = link_models([renamed, Canteen])
    assert list(ordered) == ["Canteen", "Shift"] and referrers["Canteen"][0][1] == "canteen_id"

    with pytest.raises(ValueError, match="not a model of this module"):
        link_models([renamed])
    a = type("A", (Model,), {"b_id": fields.Ref("B")})
    b = type("B", (Model,), {"a_id": fields.Ref("A")})
    with pytest.raises(ValueError, match="cycle"):
        link_models([a, b])
    with pytest.raises(ValueError, match="cycle"):
        link_models([type("Node", (Model,), {"parent_id": fields.Ref("Node")})])
