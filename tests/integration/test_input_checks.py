"""The one pre-execution check of input values (core/graphql/extensions/input_checks.py): text that
cannot be stored, times outside 1900–2999 and over-deep JSON are BAD_USER_INPUT naming the
argument path, for the core's fields and for modules' (generated and hand-written) alike;
values inside variables, literals, lists, fragments and JSON are all seen."""

from __future__ import annotations

from community_plus.graphql.extensions.input_checks import PLANS

SET = "mutation($c: ID!, $m: String!) { setModuleEnabled(communityId: $c, module: $m, enabled: true) { enabled } }"
CREATE_NOTICE = "mutation($i: CreateNoticeInput!) { createNotice(input: $i) { id title expiresOn } }"


def paths(err: dict) -> set[str]:
    return {f["path"] for f in err["extensions"]["fields"]}


async def test_module_inputs_are_checked_like_the_cores(gql, world, platform):
    c1 = world["communities"][0]["_id"]
    admin = await gql.login("admin001")
    await gql.ok(SET, {"c": c1, "m": "test_notices"}, token=admin)
    err = await gql.error("BAD_USER_INPUT", CREATE_NOTICE, {"i": {"title": "停水\ud83d通知"}}, token=admin)
    assert paths(err) == {"input.title"}
    err = await gql.error("BAD_USER_INPUT", CREATE_NOTICE, {"i": {"title": "x", "expiresOn": "0001-01-01"}}, token=admin)
    assert paths(err) == {"input.expiresOn"}
    assert await platform.db["test_notices__notices"].count_documents({}) == 0
    # a generated Date filter reaches the database as the stored datetime (it was bson InvalidDocument)
    made = (await gql.ok(CREATE_NOTICE, {"i": {"title": "春节", "expiresOn": "2030-02-01"}}, token=admin))["createNotice"]
    q = "query($f: NoticeFilter) { notices(filter: $f) { totalCount } }"
    assert (await gql.ok(q, {"f": {"expiresOn": "2030-02-01"}}, token=admin))["notices"]["totalCount"] == 1
    assert (await gql.ok(q, {"f": {"expiresOn": "2030-02-02"}}, token=admin))["notices"]["totalCount"] == 0
    err = await gql.error("BAD_USER_INPUT", q, {"f": {"category": "八卦", "title": "长" * 51}}, token=admin)
    assert paths(err) == {"filter.category", "filter.title"}
    # a hand-written module argument, and a cursor that is not one
    err = await gql.error("BAD_USER_INPUT", "mutation($id: ID!) { pinNotice(id: $id) }", {"id": "\x00"}, token=admin)
    assert paths(err) == {"id"}
    await gql.error("BAD_USER_INPUT", "{ notices(after: \"%%%\") { totalCount } }", token=admin)
    assert made["expiresOn"] == "2030-02-01"


async def test_values_are_found_wherever_they_are_given(gql, world):
    token = await gql.login("admin001")
    c1 = world["communities"][0]["_id"]
    grid = "mutation($c: ID!, $n: String!, $b: JSON!, $w: [ID!]) { createGrid(communityId: $c, name: $n, boundary: $b, " \
           "workerIds: $w) { id } }"
    square = {"type": "Polygon", "coordinates": [[[0, 0], [0, 1], [1, 1], [0, 0]]]}
    # inside lists, JSON values and JSON keys
    err = await gql.error("BAD_USER_INPUT", grid, {"c": c1, "n": "一", "b": {**square, "name\ud800": 1},
                                                   "w": ["ok", "\ud800"]}, token=token)
    assert paths(err) == {"boundary.name\\ud800", "workerIds.1"}
    deep: dict = {}
    node = deep
    for _ in range(40):
        node["a"] = {}
        node = node["a"]
    err = await gql.error("BAD_USER_INPUT", grid, {"c": c1, "n": "一", "b": deep}, token=token)
    assert len(paths(err)) == 1 and next(iter(paths(err))).startswith("boundary.a.a")
    # variables inside a literal object, and a literal inside a fragment
    q = "query($p: String) { residents(filter: {namePrefix: $p}) { totalCount } }"
    assert paths(await gql.error("BAD_USER_INPUT", q, {"p": "\udc00"}, token=token)) == {"filter.namePrefix"}
    frag = """query { ...R } fragment R on Query { residents(filter: {namePrefix: "\\u0000"}) { totalCount } }"""
    assert paths(await gql.error("BAD_USER_INPUT", frag, token=token)) == {"filter.namePrefix"}
    literal_json = 'mutation($c: ID!) { createGrid(communityId: $c, name: "一", boundary: {type: "\\u0000"}) { id } }'
    assert paths(await gql.error("BAD_USER_INPUT", literal_json, {"c": c1}, token=token)) == {"boundary.type"}
    # workers named in a new grid must be grid workers of the community
    err = await gql.error("BAD_USER_INPUT", grid, {"c": c1, "n": "一", "b": square, "w": ["nobody"]}, token=token)
    assert "workerIds.0" in paths(err)


async def test_good_input_passes_and_plans_are_cached(gql, world, client):
    token = await gql.login("admin001")
    q = "query($f: ResidentFilter) { residents(filter: $f) { totalCount } }"
    for prefix in ("王", "Zoë", "😀", "\t"):
        await gql.ok(q, {"f": {"namePrefix": prefix}}, token=token)
    schemas = list(PLANS._by_schema.values())
    assert any((q, None) in plans for plans in schemas)  # worked out once for the document, reused


CREATE_RESIDENT = "mutation($i: CreateResidentInput!) { createResident(input: $i) { id householdId } }"
SETTINGS = "mutation($c: ID!, $s: JSON!) { updateModuleSettings(communityId: $c, module: \"test_notices\", settings: $s) { settings } }"


async def test_unbounded_input_is_refused_before_it_is_stored(gql, world, platform):
    """Operator keys, dotted keys, huge strings and huge JSON never reach the database; a
    household must exist in the community."""
    c1, c2 = (c["_id"] for c in world["communities"])
    admin = await gql.login("admin001")
    before = await platform.residents.coll.count_documents({})
    err = await gql.error("BAD_USER_INPUT", CREATE_RESIDENT, {"i": {"name": "w" * 1_500_000, "birthDate": "1950-01-01"}},
                          token=admin)
    assert paths(err) == {"input.name"}
    err = await gql.error("BAD_USER_INPUT", CREATE_RESIDENT, {"i": {"name": "王五", "birthDate": "1950-01-01",
                                                                   "address": {"detail": "w" * 1_500_000}}}, token=admin)
    assert paths(err) == {"input.address.detail"}
    err = await gql.error("BAD_USER_INPUT", SETTINGS, {"c": c1, "s": {"$where": "sleep(1000)", "a.b": 1}}, token=admin)
    assert paths(err) == {"settings.$where", "settings.a.b"}
    err = await gql.error("BAD_USER_INPUT", SETTINGS, {"c": c1, "s": {"k": list(range(30_000))}}, token=admin)
    assert paths(err) == {"settings"}
    # a household of another community (or none at all) is not a household of this one
    other_household = (await platform.residents.coll.find_one({"communityId": c2}))["householdId"]
    for household in (other_household, "no-such-household"):
        err = await gql.error("BAD_USER_INPUT", CREATE_RESIDENT, {"i": {"name": "王五", "birthDate": "1950-01-01",
                                                                       "householdId": household}}, token=admin)
        assert paths(err) == {"input.householdId"}
    assert await platform.residents.coll.count_documents({}) == before
    own = (await platform.residents.coll.find_one({"communityId": c1}))["householdId"]
    made = await gql.ok(CREATE_RESIDENT, {"i": {"name": "王五", "birthDate": "1950-01-01", "householdId": own}}, token=admin)
    assert made["createResident"]["householdId"] == own
