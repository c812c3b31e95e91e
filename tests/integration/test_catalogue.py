"""The low-code service catalogue: forms as JSON Schema, lifecycle, visibility, versions."""

from __future__ import annotations

from workorder_fixtures import CREATE_ITEM, FORM, GOOD_ANSWERS, SET_STATE, SUBMIT, published_item, resident1  # noqa: F401

ITEMS = "query($f: ServiceItemFilter) { serviceItems(filter: $f, first: 50) { totalCount edges { node { id title state } } } }"


async def test_form_schema_is_checked(gql, world):
    token = await gql.login("admin001")
    err = await gql.error("BAD_USER_INPUT", CREATE_ITEM, {"input": {"title": "x", "kind": "PUBLIC",
                                                                     "form": {"type": "object", "properties": {"a": {"type": "nonsense"}}}}}, token=token)
    assert err["extensions"]["fields"][0]["path"].startswith("input.form")
    err = await gql.error("BAD_USER_INPUT", CREATE_ITEM, {"input": {"title": "x", "kind": "PUBLIC",
                                                                     "form": {"type": "object", "required": ["b"], "properties": {}}}}, token=token)
    assert err["extensions"]["fields"][0]["path"] == "input.form.required"
    err = await gql.error("BAD_USER_INPUT", CREATE_ITEM, {"input": {"kind": "PUBLIC", "slaHours": 0}}, token=token)
    assert {f["path"] for f in err["extensions"]["fields"]} == {"input.title", "input.slaHours"}


async def test_scope_and_roles_for_items(gql, world):
    c2 = world["communities"][1]["_id"]
    admin1 = await gql.login("admin001")
    await gql.error("FORBIDDEN", CREATE_ITEM, {"input": {"title": "x", "kind": "PUBLIC", "communityId": c2}}, token=admin1)
    await gql.error("FORBIDDEN", CREATE_ITEM, {"input": {"title": "x", "kind": "PUBLIC", "regionId": "320100"}}, token=admin1)
    worker = await gql.login("gw0011")
    await gql.error("FORBIDDEN", CREATE_ITEM, {"input": {"title": "x", "kind": "PUBLIC"}}, token=worker)


async def test_lifecycle_and_visibility(gql, world, platform):
    admin1 = await gql.login("admin001")
    item = (await gql.ok(CREATE_ITEM, {"input": {"title": "草稿", "kind": "COMMERCIAL"}}, token=admin1))["createServiceItem"]
    assert item["state"] == "DRAFT"
    from workorder_fixtures import resident_token

    doc = await platform.residents.coll.find_one({"communityId": world["communities"][0]["_id"]})
    resident = await resident_token(platform, doc)
    titles = lambda data: {e["node"]["title"] for e in data["serviceItems"]["edges"]}  # noqa: E731
    assert "草稿" not in titles(await gql.ok(ITEMS, token=resident))
    await gql.error("NOT_FOUND", "query($id: ID!) { serviceItem(id: $id) { id } }", {"id": item["id"]}, token=resident)
    for state in ("PUBLISHED", "PAUSED", "PUBLISHED", "ARCHIVED"):
        assert (await gql.ok(SET_STATE, {"id": item["id"], "s": state}, token=admin1))["setServiceItemState"]["state"] == state
    await gql.error("CONFLICT", SET_STATE, {"id": item["id"], "s": "PUBLISHED"}, token=admin1)
    # a region-level item reaches every community below the region
    region_admin = await gql.login("nanjing")
    regional = (await gql.ok(CREATE_ITEM, {"input": {"title": "全市事项", "kind": "PUBLIC", "regionId": "320100"}},
                             token=region_admin))["createServiceItem"]
    await gql.ok(SET_STATE, {"id": regional["id"], "s": "PUBLISHED"}, token=region_admin)
    admin2 = await gql.login("admin002")
    assert "全市事项" in titles(await gql.ok(ITEMS, token=admin2))
    assert "全市事项" in titles(await gql.ok(ITEMS, token=resident))
    assert "草稿" not in titles(await gql.ok(ITEMS, token=admin2))


async def test_eligible_only_filter(gql, world, platform):
    from workorder_fixtures import resident_token

    admin1 = await gql.login("admin001")
    for title, elig in (("长者专享", {"tags": ["ELDERLY"]}), ("青年专享", {"ageMax": 35}), ("人人可办", {})):
        item = (await gql.ok(CREATE_ITEM, {"input": {"title": title, "kind": "PUBLIC", "eligibility": elig}},
                             token=admin1))["createServiceItem"]
        await gql.ok(SET_STATE, {"id": item["id"], "s": "PUBLISHED"}, token=admin1)
    c1 = world["communities"][0]["_id"]
    elder = await platform.residents.coll.find_one({"communityId": c1, "tags": "elderly"})
    token = await resident_token(platform, elder)
    data = await gql.ok(ITEMS, {"f": {"eligibleOnly": True}}, token=token)
    got = {e["node"]["title"] for e in data["serviceItems"]["edges"]}
    assert {"长者专享", "人人可办"} <= got and "青年专享" not in got


async def test_new_form_version_keeps_old_orders_readable(gql, world, published_item, resident1):
    admin1 = await gql.login("admin001")
    order = (await gql.ok(SUBMIT, {"input": {"itemId": published_item["id"], "answers": GOOD_ANSWERS}},
                          token=resident1["token"]))["submitWorkOrder"]
    new_form = {"type": "object", "required": ["address"], "properties": {"address": {"type": "string"}}}
    updated = await gql.ok("""mutation($id: ID!, $f: JSON!) { updateServiceItem(id: $id, input: {form: $f}) {
        formVersion } }""", {"id": published_item["id"], "f": new_form}, token=admin1)
    assert updated["updateServiceItem"]["formVersion"] == 2
    detail = await gql.ok("query($id: ID!) { workOrder(id: $id) { formVersion formSchema answers item { formVersion } } }",
                          {"id": order["id"]}, token=resident1["token"])
    assert detail["workOrder"]["formVersion"] == 1
    assert detail["workOrder"]["formSchema"] == FORM
    assert detail["workOrder"]["item"]["formVersion"] == 2
    # new submissions are validated against the new version
    err = await gql.error("BAD_USER_INPUT", SUBMIT, {"input": {"itemId": published_item["id"], "answers": GOOD_ANSWERS}},
                          token=resident1["token"])
    assert "input.answers.address" in {f["path"] for f in err["extensions"]["fields"]}
    # a stale version is refused
    await gql.error("CONFLICT", """mutation($id: ID!) { updateServiceItem(id: $id, input: {title: "新", version: 1}) {
        id } }""", {"id": published_item["id"]}, token=admin1)


def _fields(err: dict) -> dict[str, str]:
    return {f["path"]: f["message"] for f in err["extensions"]["fields"]}


async def test_answers_hold_only_the_forms_fields_and_messages_are_chinese(gql, world, published_item, resident1,
                                                                         platform):
    """An unknown answer key was stored silently when the form did not say
    `additionalProperties: false`; jsonschema's English messages reached residents."""
    admin = await gql.login("admin001")
    loose = {k: v for k, v in FORM.items() if k != "additionalProperties"}
    await gql.ok("mutation($id: ID!, $f: JSON!) { updateServiceItem(id: $id, input: {form: $f}) { id } }",
                 {"id": published_item["id"], "f": loose}, token=admin)
    before = await platform.work_orders.coll.count_documents({})
    err = await gql.error("BAD_USER_INPUT", SUBMIT, {"input": {"itemId": published_item["id"], "answers": {
        **GOOD_ANSWERS, "note": "x"}}}, token=resident1["token"])
    assert set(_fields(err)) == {"input.answers.note"}  # not a field of the form
    err = await gql.error("BAD_USER_INPUT", SUBMIT, {"input": {"itemId": published_item["id"], "answers": {
        **GOOD_ANSWERS, "$where": "1"}}}, token=resident1["token"])
    assert set(_fields(err)) == {"input.answers.$where"}  # an operator key: refused before any resolver
    assert await platform.work_orders.coll.count_documents({}) == before
    bad = {"phone": 13812345678, "preferredDate": "2026-02-30", "count": 0, "services": ["清洁", "清洁"],
           "idNumber": "123", "photo": "nope"}
    fields = _fields(await gql.error("BAD_USER_INPUT", SUBMIT, {"input": {"itemId": published_item["id"],
                                                                          "answers": bad}}, token=resident1["token"]))
    assert set(fields) == {f"input.answers.{k}" for k in bad}
    for path, message in fields.items():
        assert any("\u4e00" <= ch <= "\u9fff" for ch in message) and "(" in message, (path, message)
    assert fields["input.answers.count"] == "不能小于1 (must be ≥ 1)"
    assert fields["input.answers.phone"].startswith("应为文本")
    # a free-form report has no form: answers there are refused too
    err = await gql.error("BAD_USER_INPUT", SUBMIT, {"input": {"description": "漏水", "answers": {"a": 1}}},
                          token=resident1["token"])
    assert set(_fields(err)) == {"input.answers"}


async def test_form_field_names_and_item_limits(gql, world):
    token = await gql.login("admin001")
    for name in ("a.b", "$x", "名字", "x" * 41):
        err = await gql.error("BAD_USER_INPUT", CREATE_ITEM, {"input": {"title": "x", "kind": "PUBLIC", "form": {
            "type": "object", "properties": {name: {"type": "string"}}}}}, token=token)
        assert set(_fields(err)) == {f"input.form.properties.{name}"}
    err = await gql.error("BAD_USER_INPUT", CREATE_ITEM, {"input": {"title": "x", "kind": "PUBLIC", "eligibility": {
        "ageMin": -1, "ageMax": 1000}, "materials": ["身份证"] * 21}}, token=token)
    assert set(_fields(err)) == {"input.eligibility.ageMin", "input.eligibility.ageMax", "input.materials"}
    err = await gql.error("BAD_USER_INPUT", CREATE_ITEM, {"input": {"title": "x", "kind": "PUBLIC", "form": {
        "type": "object", "properties": {"a": {"type": "string", "title": "\ud800"}}}}}, token=token)
    assert set(_fields(err)) == {"input.form.properties.a.title"}  # JSON is checked like any other text


async def test_a_photo_in_answers_and_attachments_is_attached_once(client, gql, world, platform, published_item,
                                                                   resident1):
    from media_fixtures import jpeg_with_gps, upload_form

    token = resident1["token"]
    resp = await client.post("/upload", data=upload_form(jpeg_with_gps(), "door.jpg", "photo"),
                             headers={"Authorization": f"Bearer {token}"})
    photo = (await resp.json())["id"]
    order = (await gql.ok(SUBMIT, {"input": {"itemId": published_item["id"], "answers": {**GOOD_ANSWERS, "photo": photo},
                                             "attachments": [photo, photo]}}, token=token))["submitWorkOrder"]
    doc = await platform.work_orders.coll.find_one({"_id": order["id"]})
    assert doc["attachments"] == [photo]
    # a file that cannot be used is named where it was given: the answer, or the attachment
    missing = "0" * 24
    err = await gql.error("BAD_USER_INPUT", SUBMIT, {"input": {"itemId": published_item["id"],
                                                               "answers": {**GOOD_ANSWERS, "photo": missing}}},
                          token=token)
    assert set(_fields(err)) == {"input.answers.photo"}
    err = await gql.error("BAD_USER_INPUT", SUBMIT, {"input": {"description": "x", "attachments": [missing]}},
                          token=token)
    assert set(_fields(err)) == {"input.attachments.0"}
