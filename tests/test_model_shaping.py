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
