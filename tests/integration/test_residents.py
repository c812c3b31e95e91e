"""Resident validation, masking, reveal audit, encryption at rest, filters."""

from __future__ import annotations

from datetime import date

from community_plus.platform.validation import id_check_digit

CREATE = """mutation($input: CreateResidentInput!) { createResident(input: $input) {
  id name gender birthDate age phone idNumber tags registered version grid { id } } }"""


def valid_id(birth: str = "19450312", seq: str = "122") -> str:
    first17 = "320102" + birth + seq
    return first17 + id_check_digit(first17)


async def test_create_validates_every_field(gql, world):
    token = await gql.login("admin001")
    c2_grid = world["grids"][world["communities"][1]["_id"]][0]["_id"]
    err = await gql.error("BAD_USER_INPUT", CREATE, {"input": {
        "name": " ", "idNumber": "320102194503121230", "phone": "12345", "gridId": c2_grid}}, token=token)
    paths = {f["path"] for f in err["extensions"]["fields"]}
    assert {"input.name", "input.idNumber", "input.phone", "input.gridId"} <= paths
    # birth date in the future, and neither birth date nor ID number
    err = await gql.error("BAD_USER_INPUT", CREATE, {"input": {"name": "张三", "birthDate": "2999-01-01"}}, token=token)
    assert err["extensions"]["fields"][0]["path"] == "input.birthDate"
    await gql.error("BAD_USER_INPUT", CREATE, {"input": {"name": "张三"}}, token=token)
    # unknown enum values are rejected by GraphQL validation itself
    body = await gql(CREATE, {"input": {"name": "张三", "tags": ["ROYALTY"]}}, token=token)
    assert body["errors"]


async def test_create_derives_birth_and_gender_and_masks(gql, world, platform):
    token = await gql.login("admin001")
    grid = world["grids"][world["communities"][0]["_id"]][0]["_id"]
    idn = valid_id()
    data = (await gql.ok(CREATE, {"input": {"name": "王秀英", "idNumber": idn, "phone": "138 1234 5678",
                                            "gridId": grid, "tags": ["ELDERLY", "LIVING_ALONE"]}}, token=token))["createResident"]
    assert data["birthDate"] == "1945-03-12"
    assert data["gender"] == "FEMALE"  # 17th digit 2 is even
    assert data["age"] == date.today().year - 1945 - ((date.today().month, date.today().day) < (3, 12))
    assert data["phone"] == "138****5678"
    assert data["idNumber"] == idn[:4] + "**********" + idn[-4:]
    # no plaintext at rest
    raw = await platform.residents.coll.find_one({"_id": data["id"]})
    flat = repr(raw)
    assert idn not in flat and "13812345678" not in flat
    assert raw["idNumberSealed"]["k"] == "k1"
    # duplicate ID number → CONFLICT
    await gql.error("CONFLICT", CREATE, {"input": {"name": "重复", "idNumber": idn}}, token=token)


async def test_raw_collection_has_no_plaintext_pii(platform, world):
    async for doc in platform.residents.coll.find({}):
        phone = platform.residents.reveal(doc, "phone")
        idn = platform.residents.reveal(doc, "idNumber")
        flat = repr(doc)
        assert idn and idn not in flat
        if phone:
            assert phone not in flat


async def test_reveal_is_permitted_and_audited(gql, world, platform):
    c1 = world["communities"][0]["_id"]
    g1 = world["grids"][c1][0]["_id"]
    rid = (await platform.residents.coll.find_one({"gridId": g1}))["_id"]
    q = "query($id: ID!) { resident(id: $id) { idNumber(reveal: true) } }"
    worker = await gql.login("gw0011")
    revealed = (await gql.ok(q, {"id": rid}, token=worker))["resident"]["idNumber"]
    assert "*" not in revealed and len(revealed) == 18
    audit = await platform.audit.coll.find_one({"entityId": rid, "action": "reveal"})
    assert audit["fields"] == ["idNumber"] and audit["actorRole"] == "grid_worker" and audit["requestId"]
    # a region admin has no reveal permission (least privilege)
    region = await gql.login("nanjing")
    await gql.error("FORBIDDEN", q, {"id": rid}, token=region)


async def test_update_with_version_and_audit(gql, world, platform):
    token = await gql.login("admin001")
    rid = (await platform.residents.coll.find_one({"communityId": world["communities"][0]["_id"]}))["_id"]
    q = """mutation($id: ID!, $input: UpdateResidentInput!) { updateResident(id: $id, input: $input) {
        name phone version tags } }"""
    data = (await gql.ok(q, {"id": rid, "input": {"phone": "13900001111", "version": 1, "tags": ["DISABLED"]}},
                         token=token))["updateResident"]
    assert data["phone"] == "139****1111" and data["version"] == 2 and data["tags"] == ["DISABLED"]
    await gql.error("CONFLICT", q, {"id": rid, "input": {"name": "旧版本", "version": 1}}, token=token)
    await gql.error("BAD_USER_INPUT", q, {"id": rid, "input": {"phone": "999"}}, token=token)
    entries = await platform.audit.coll.find({"entityId": rid, "action": "update"}).to_list()
    assert entries[0]["fields"] == ["phone", "tags"]
    # found by phone through the blind index
    assert [d["_id"] for d in await platform.residents.find_by_phone("13900001111", {})] == [rid]


async def test_filters(gql, world, platform):
    token = await gql.login("admin001")
    c1 = world["communities"][0]["_id"]
    q = "query($f: ResidentFilter) { residents(filter: $f, first: 100) { totalCount edges { node { name age tags registered gridId } } } }"

    async def run(f):
        return (await gql.ok(q, {"f": f}, token=token))["residents"]

    elderly = await run({"tags": ["ELDERLY"]})
    assert elderly["totalCount"] == await platform.residents.coll.count_documents({"communityId": c1, "tags": "elderly"})
    assert all("ELDERLY" in e["node"]["tags"] for e in elderly["edges"])
    aged = await run({"ageMin": 60, "ageMax": 80})
    assert all(60 <= e["node"]["age"] <= 80 for e in aged["edges"])
    everyone = await run({})
    expected_aged = sum(1 for e in everyone["edges"] if 60 <= e["node"]["age"] <= 80)
    assert aged["totalCount"] == expected_aged
    first = everyone["edges"][0]["node"]["name"]
    prefix = await run({"namePrefix": first[0]})
    assert prefix["totalCount"] == sum(1 for e in everyone["edges"] if e["node"]["name"].startswith(first[0]))
    unreg = await run({"registered": False})
    assert all(not e["node"]["registered"] for e in unreg["edges"])
    g1 = world["grids"][c1][0]["_id"]
    in_grid = await run({"gridId": g1})
    assert in_grid["totalCount"] == sum(1 for e in everyone["edges"] if e["node"]["gridId"] == g1)
    await gql.error("BAD_USER_INPUT", q, {"f": {"ageMin": 80, "ageMax": 60}}, token=token)


def paths(err: dict) -> set[str]:
    return {f["path"] for f in err["extensions"]["fields"]}


async def test_filter_values_out_of_range_are_bad_user_input(gql, world):
    """Ages beyond what a date can hold, negative ages and an endless name prefix answered
    INTERNAL_SERVER_ERROR (`year -7975 is out of range`); now each names its field."""
    token = await gql.login("admin001")
    q = "query($f: ResidentFilter) { residents(filter: $f) { totalCount } }"
    for f, path in (({"ageMax": 10000}, "filter.ageMax"), ({"ageMin": 100000}, "filter.ageMin"),
                    ({"ageMin": -1}, "filter.ageMin"), ({"ageMax": -5}, "filter.ageMax"),
                    ({"namePrefix": "王" * 100_000}, "filter.namePrefix")):
        err = await gql.error("BAD_USER_INPUT", q, {"f": f}, token=token)
        assert paths(err) == {path}, (f, err)
        assert "(" in err["extensions"]["fields"][0]["message"]  # Chinese, with an English hint
    # the bounds themselves are fine, and regex characters in a prefix are literal text
    assert (await gql.ok(q, {"f": {"ageMin": 0, "ageMax": 150}}, token=token))["residents"]["totalCount"] == 12
    for prefix in (".*", "(", "[", "\\"):
        assert (await gql.ok(q, {"f": {"namePrefix": prefix}}, token=token))["residents"]["totalCount"] == 0


async def test_text_that_cannot_be_stored_is_refused_where_it_was_given(gql, world, platform):
    """A lone surrogate (`\\ud800abc`) was stored until UnicodeEncodeError; a NUL breaks BSON
    keys and regular expressions. Any string input, at any depth, is refused by path."""
    token = await gql.login("admin001")
    grid = world["grids"][world["communities"][0]["_id"]][0]["_id"]
    before = await platform.residents.coll.count_documents({})
    err = await gql.error("BAD_USER_INPUT", CREATE, {"input": {"name": "\ud800abc", "birthDate": "1990-01-01"}},
                          token=token)
    assert paths(err) == {"input.name"} and "surrogate" in err["message"]
    err = await gql.error("BAD_USER_INPUT", CREATE, {"input": {
        "name": "张三", "birthDate": "1990-01-01", "gridId": grid, "address": {"building": "1", "detail": "3室\x00"},
        "tags": ["ELDERLY"], "phone": "\udfff"}}, token=token)
    assert paths(err) == {"input.address.detail", "input.phone"}
    # inline literals are checked too (NUL is a legal GraphQL escape), and a refusal runs no resolver
    err = await gql.error("BAD_USER_INPUT", 'mutation { createResident(input: {name: "a\\u0000", birthDate: '
                                            '"1990-01-01"}) { id } }', token=token)
    assert paths(err) == {"input.name"}
    assert await platform.residents.coll.count_documents({}) == before
    q = "query($f: ResidentFilter) { residents(filter: $f) { totalCount } }"
    err = await gql.error("BAD_USER_INPUT", q, {"f": {"namePrefix": "\ud800"}}, token=token)
    assert paths(err) == {"filter.namePrefix"}


async def test_dates_and_cursors_out_of_range(gql, world):
    token = await gql.login("admin001")
    for birth in ("1899-12-31", "0001-01-01", "9999-12-31"):
        err = await gql.error("BAD_USER_INPUT", CREATE, {"input": {"name": "张三", "birthDate": birth}}, token=token)
        assert paths(err) == {"input.birthDate"}
    # an ID number whose (checksum-valid) birth date is in year 1 or the future
    for birth in ("00010101", "29990101"):
        err = await gql.error("BAD_USER_INPUT", CREATE, {"input": {"name": "张三", "idNumber": valid_id(birth),
                                                                   "birthDate": "1990-01-01"}}, token=token)
        assert paths(err) == {"input.idNumber"}
    q = "query($a: String, $n: Int) { residents(after: $a, first: $n) { totalCount edges { cursor } } }"
    for garbage in ("!!!", "bm90IGEgY3Vyc29y===", "\ud800", "x" * 10_000):
        err = await gql.error("BAD_USER_INPUT", q, {"a": garbage}, token=token)
        assert paths(err) == {"after"}, garbage
    page = (await gql.ok(q, {"n": 1000}, token=token))["residents"]  # capped at the page size, not an error
    assert len(page["edges"]) == 12
    second = (await gql.ok(q, {"a": page["edges"][0]["cursor"]}, token=token))["residents"]
    assert len(second["edges"]) == 11
    await gql.error("BAD_USER_INPUT", q, {"n": -1}, token=token)


async def test_name_search_is_a_prefix_and_uses_an_index(gql, world, platform):
    """The console's name search: a prefix (regex characters are plain text), combined with
    tags and a grid, answered from a `residents` index (explained on the test database)."""
    token = await gql.login("admin001")
    c1 = world["communities"][0]["_id"]
    grid = world["grids"][c1][0]["_id"]
    create = ("mutation($i: CreateResidentInput!) { createResident(input: $i) { id } }")
    for name, tags in (("欧阳.娜", ["ELDERLY"]), ("欧阳(娜", []), ("欧阳娜", ["ELDERLY"]), ("欧", [])):
        await gql.ok(create, {"i": {"name": name, "birthDate": "1950-01-02", "gridId": grid, "tags": tags}},
                     token=token)
    q = "query($f: ResidentFilter) { residents(filter: $f, first: 50) { totalCount edges { node { name } } } }"

    async def names(f):
        return sorted(e["node"]["name"] for e in (await gql.ok(q, {"f": f}, token=token))["residents"]["edges"])

    assert await names({"namePrefix": "欧阳."}) == ["欧阳.娜"]
    assert await names({"namePrefix": "欧阳"}) == ["欧阳(娜", "欧阳.娜", "欧阳娜"]
    assert await names({"namePrefix": "欧"}) == ["欧", "欧阳(娜", "欧阳.娜", "欧阳娜"]
    assert await names({"namePrefix": "欧阳", "tags": ["ELDERLY"]}) == ["欧阳.娜", "欧阳娜"]
    assert await names({"namePrefix": "欧阳", "gridId": grid}) == ["欧阳(娜", "欧阳.娜", "欧阳娜"]
    from community_plus.domains.residents.service import prefix_range

    query = {"communityId": c1, "name": prefix_range("欧阳")}
    plan = await platform.db.command("explain", {"find": "residents", "filter": query})
    assert "IXSCAN" in str(plan["queryPlanner"]["winningPlan"]) and "COLLSCAN" not in str(plan["queryPlanner"])


def test_prefix_range_and_merged_clauses():
    from community_plus.platform.repository import merge_clauses
    from community_plus.domains.residents.service import prefix_range

    assert prefix_range("王") == {"$gte": "王", "$lt": "王"[:-1] + chr(ord("王") + 1)}
    assert prefix_range("a\ud7ff") == {"$gte": "a\ud7ff", "$lt": "a\ue000"}  # past the surrogates
    assert prefix_range("\U0010ffff") == {"$regex": "^\U0010ffff"}
    # scope and filter side by side; a grid worker's grids intersected with the asked grid
    assert merge_clauses({"communityId": "c", "gridId": {"$in": ["g1", "g2"]}}, {"gridId": "g2"},
                         {"tags": {"$all": ["elderly"]}}) == {"communityId": "c", "gridId": "g2", "tags": "elderly"}
    assert merge_clauses({"gridId": {"$in": ["g1"]}}, {"gridId": "g3"}) == {"gridId": {"$in": []}}
    assert merge_clauses({"communityId": "a"}, {"communityId": "b"}) == {"communityId": {"$in": []}}
    # what cannot be merged stays a conjunction (array fields, operators)
    assert merge_clauses({"tags": "a"}, {"tags": "b"}) == {"$and": [{"tags": "a"}, {"tags": "b"}]}
    assert merge_clauses({"communityId": "c"}, {"$or": [{"x": 1}, {"y": 1}]}) == \
        {"$and": [{"communityId": "c"}, {"$or": [{"x": 1}, {"y": 1}]}]}
    assert merge_clauses({"communityId": {"$ne": "a"}}, {"communityId": "b"}) == \
        {"$and": [{"communityId": {"$ne": "a"}}, {"communityId": "b"}]}
