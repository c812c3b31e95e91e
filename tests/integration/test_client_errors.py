"""Every client mistake gets a clean answer: a stable `extensions.code` and the status the
GraphQL-over-HTTP spec prescribes, never a 5xx or INTERNAL_SERVER_ERROR."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime, timedelta

import aiohttp
import jwt

from community_plus.platform import db as dbm
from community_plus.app import create_app
from community_plus.keys import METRICS, PLATFORM
from community_plus.platform.rate_limit_counters import RateLimitRepository

GR = "application/graphql-response+json"
JSON_ONLY = {"Accept": "application/json"}
GR_ONLY = {"Accept": GR}


async def post(client, body, accept: str | None = None, **headers):
    if accept:
        headers["Accept"] = accept
    resp = await client.post("/graphql", data=json.dumps(body), headers={"Content-Type": "application/json", **headers})
    return resp.status, resp.content_type, await resp.json(content_type=None)


def codes(body) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]


# -- variable coercion -----------------------------------------------------------------------
COERCION = [  # (document, variables, offending path) — each mistake inline is already a validation error
    ("query($id: ID!) { resident(id: $id) { id } }", {"id": None}, "variables.id"),
    ("query($id: ID!) { resident(id: $id) { id } }", {}, "variables.id"),
    ("query($n: Int!) { residents(first: $n) { totalCount } }", {"n": "abc"}, "variables.n"),
    ("mutation($i: CreateResidentInput!) { createResident(input: $i) { id } }",
     {"i": {"name": "张三", "gender": "UNKNOWN"}}, "variables.i.gender"),
    ("query($f: ResidentFilter) { residents(filter: $f) { totalCount } }", {"f": {"nope": 1}}, "variables.f"),
    ("query($f: ResidentFilter) { residents(filter: $f) { totalCount } }", {"f": {"tags": ["X", 3]}},
     "variables.f.tags[0]"),
]


async def test_variable_coercion_is_bad_user_input(client, gql, world):
    auth = {"Authorization": f"Bearer {await gql.login('admin001')}"}
    for doc, variables, path in COERCION:
        status, _, body = await post(client, {"query": doc, "variables": variables}, "application/json", **auth)
        assert status == 200 and set(codes(body)) == {"BAD_USER_INPUT"} and body["data"] is None, body
        paths = [f["path"] for e in body["errors"] for f in e["extensions"]["fields"]]
        assert path in paths and all("变量值无效" in e["message"] for e in body["errors"]), body
        status, content_type, body = await post(client, {"query": doc, "variables": variables}, GR, **auth)
        assert (status, content_type, set(codes(body))) == (400, GR, {"BAD_USER_INPUT"}) and "data" not in body


# -- the envelope ----------------------------------------------------------------------------
ENVELOPES = [
    ({"query": "{ me { id } }", "operationName": {"a": 1}}, "operationName"),
    ({"query": "{ me { id } }", "operationName": 3}, "operationName"),
    ({"query": "{ me { id } }", "variables": "x"}, "variables"),
    ({"query": "{ me { id } }", "variables": [1]}, "variables"),
    ({"query": "{ me { id } }", "extensions": False}, "extensions"),
    ({"query": ["{ me { id } }"]}, "query"),
    ({"qeury": "{ me { id } }"}, "query"),
    ("{ me { id } }", None),
    ([{"query": "{ me { id } }"}], None),
]


UNREADABLE = [  # (body, Content-Type, status)
    (b"{not json", "application/json", 400),
    (b"", "application/json", 400),
    (b"\xff\xfe{}", "application/json", 400),
    ('{"query": "{ me { id } }"}'.encode("utf-16"), "application/json; charset=utf-16", 415),
    (b'{"query": "{ me { id } }"}', "text/plain", 415),
    (b"{ me { id } }", "application/graphql", 415),
    (b"query=%7B%7D", "application/x-www-form-urlencoded", 415),
    (b'{"query": "{ me { id } }"}', None, 415),
]


async def test_malformed_envelope_is_4xx_bad_request(client):
    for accept in ("application/json", GR):
        for envelope, field in ENVELOPES:
            status, content_type, body = await post(client, envelope, accept)
            assert (status, content_type, codes(body)) == (400, accept, ["BAD_REQUEST"]), (envelope, body)
            assert "data" not in body and body["errors"][0]["extensions"].get("field") == field, body
        for data, content_type, status in UNREADABLE:
            headers = {"Accept": accept, **({"Content-Type": content_type} if content_type else {})}
            resp = await client.post("/graphql", data=data, headers=headers,
                                     skip_auto_headers=() if content_type else ["Content-Type"])
            body = await resp.json(content_type=None)
            assert (resp.status, resp.content_type, codes(body)) == (status, accept, ["BAD_REQUEST"]), (data, body)


async def test_get_requests(client):
    resp = await client.get("/graphql", params={"query": "mutation { logout }"}, headers=GR_ONLY)
    assert resp.status == 405 and resp.headers["Allow"] == "POST" and codes(await resp.json()) == ["BAD_REQUEST"]
    resp = await client.get("/graphql", params={"query": "{ me { id } }", "variables": "{bad"})
    assert resp.status == 400 and codes(await resp.json()) == ["BAD_REQUEST"]
    resp = await client.get("/graphql", params={"query": "{ me { id } }", "variables": "[1]"})
    assert resp.status == 400 and (await resp.json())["errors"][0]["extensions"]["field"] == "variables"
    resp = await client.get("/graphql", headers=JSON_ONLY)  # no query, not a browser: no GraphiQL page
    assert resp.status == 400 and (await resp.json())["errors"][0]["extensions"]["field"] == "query"
    resp = await client.get("/graphql", headers={"Accept": "text/html"})
    assert resp.status == 200 and resp.content_type == "text/html"  # GraphiQL (dev)
    resp = await client.get("/graphql", params={"query": "query Q { __typename }", "operationName": "Other"})
    assert resp.status == 400 and (await resp.json())["errors"][0]["extensions"]["field"] == "operationName"


async def test_request_errors_have_no_data_under_graphql_response_json(client):
    for query, code in (("{ me { id } ", "GRAPHQL_VALIDATION_FAILED"), ("{ nope }", "GRAPHQL_VALIDATION_FAILED")):
        status, content_type, body = await post(client, {"query": query}, GR)
        assert (status, content_type, codes(body)) == (400, GR, [code]) and "data" not in body, body
        status, _, body = await post(client, {"query": query}, "application/json")
        assert status == 200 and body["data"] is None and codes(body) == [code]  # the legacy media type
    status, _, body = await post(client, {"query": "{ __typename }"}, f"{GR}, application/json;q=0.9")
    assert status == 200 and body == {"data": {"__typename": "Query"}}


# -- root fields on the wrong operation type ---------------------------------------------------
async def test_field_on_the_wrong_operation_type_says_so(gql, world):
    token = await gql.login("admin001")
    err = await gql.error("GRAPHQL_VALIDATION_FAILED", "mutation { residents { totalCount } }", token=token)
    assert "query field" in err["message"] and err["extensions"]["rootType"] == "Query"
    err = await gql.error("GRAPHQL_VALIDATION_FAILED", '{ logout }', token=token)
    assert "mutation field" in err["message"]
    # a module's query field sent as a mutation is not "module disabled"
    err = await gql.error("GRAPHQL_VALIDATION_FAILED", "mutation { notices { totalCount } }", token=token)
    assert "query field" in err["message"] and err["extensions"]["module"] == "test_notices"
    err = await gql.error("MODULE_DISABLED", "{ notices { totalCount } }", token=token)
    assert err["extensions"]["module"] == "test_notices"


# -- tokens ----------------------------------------------------------------------------------
async def test_me_tells_a_refused_token_from_no_token(gql, world, platform):
    assert (await gql.ok("{ me { id } }"))["me"] is None  # no token: anonymous
    err = await gql.error("UNAUTHENTICATED", "{ me { id } }", token="garbage")
    assert err["extensions"]["reason"] == "TOKEN_INVALID" and err["path"] == ["me"]
    key = platform.settings.signing_key
    expired = jwt.encode({"sub": "u", "role": "platform_admin", "iss": "community-plus", "iat": 1, "exp": 2}, key)
    err = await gql.error("UNAUTHENTICATED", "{ me { id } }", token=expired)
    assert err["extensions"]["reason"] == "TOKEN_EXPIRED" and "refreshSession" in err["message"]
    no_claims = jwt.encode({"iss": "community-plus", "exp": int(time.time()) + 60}, key)  # ours, but no sub/role
    err = await gql.error("UNAUTHENTICATED", "{ me { id } }", token=no_claims)
    assert err["extensions"]["reason"] == "TOKEN_INVALID"
    body = await gql("{ me { id } }", headers={"Authorization": "Basic abc"})
    assert body["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED", "reason": "TOKEN_INVALID"}


# -- WeChat ----------------------------------------------------------------------------------
async def test_wechat_login_without_credentials_is_wechat_not_configured(gql, platform):
    assert not platform.settings.wechat_secret
    err = await gql.error("WECHAT_NOT_CONFIGURED", 'mutation { loginWithWechat(code: "abc") { accessToken } }')
    assert "CP_WECHAT" not in err["message"] and "secret" not in err["message"]


# -- DateTime --------------------------------------------------------------------------------
async def test_statistics_window_without_utc_offset_is_read_as_utc(gql, world):
    token = await gql.login("admin001")
    since = (datetime.now(UTC) - timedelta(days=3)).replace(tzinfo=None).isoformat()  # no offset
    query = "query($s: DateTime) { statistics(since: $s) { total } }"
    assert (await gql.ok(query, {"s": since}, token=token))["statistics"]["total"] >= 0
    err = await gql.error("BAD_USER_INPUT", query, {"s": "not a date"}, token=token)
    assert err["extensions"]["fields"][0]["path"] == "variables.s"


# -- GraphQL multipart -----------------------------------------------------------------------
UPLOAD = 'mutation($f: Upload!) { uploadFile(file: $f, purpose: "photo") { id } }'
GOOD_OPS = json.dumps({"query": UPLOAD, "variables": {"f": None}})


MULTIPART = [  # (operations, map, file parts, the form field named in the error)
    (GOOD_OPS, json.dumps({"0": ["variables.f.x.y"]}), ["0"], "map"),
    (GOOD_OPS, json.dumps({"0": ["variables.g"]}), ["0"], "map"),
    (GOOD_OPS, json.dumps({"0": ["query"]}), ["0"], "map"),
    (GOOD_OPS, json.dumps({"0": "variables.f"}), ["0"], "map"),
    (GOOD_OPS, json.dumps({"0": []}), ["0"], "map"),
    (GOOD_OPS, json.dumps(["variables.f"]), ["0"], "map"),
    (GOOD_OPS, json.dumps({"1": ["variables.f"]}), ["0"], "map"),  # map names a missing file
    (GOOD_OPS, json.dumps({"0": ["variables.f"]}), ["0", "1"], "map"),  # a file the map does not name
    (GOOD_OPS, json.dumps({"0": ["variables.f"], "1": ["variables.f"]}), ["0", "1"], "map"),  # one slot twice
    (GOOD_OPS, "{not json", ["0"], "map"),
    ("{not json", json.dumps({"0": ["variables.f"]}), ["0"], "operations"),
    (json.dumps([{"query": UPLOAD}]), json.dumps({"0": ["0.variables.f"]}), ["0"], "operations"),
    (json.dumps({"query": UPLOAD, "variables": None}), json.dumps({"0": ["variables.f"]}), ["0"], "map"),
    (None, json.dumps({"0": ["variables.f"]}), ["0"], "operations"),
    (GOOD_OPS, None, ["0"], "map"),
]
GARBLED = [
    (b"--x\r\n", "multipart/form-data"),  # no boundary parameter
    (b"--b\r\nContent-Disposition: form-data\r\n\r\nx\r\n--b--\r\n", "multipart/form-data; boundary=b"),  # no name
    (b"garbage without any boundary", "multipart/form-data; boundary=b"),
]


async def test_malformed_multipart_is_400(client, gql, world, platform):
    auth = {"Authorization": f"Bearer {await gql.login('admin001')}", "Apollo-Require-Preflight": "true"}
    for operations, files_map, parts, field in MULTIPART:
        form = aiohttp.FormData()
        if operations is not None:
            form.add_field("operations", operations)
        if files_map is not None:
            form.add_field("map", files_map)
        for name in parts:
            form.add_field(name, b"\xff\xd8\xff\xe0 not a jpeg", filename="p.jpg", content_type="image/jpeg")
        resp = await client.post("/graphql", data=form, headers={**auth, **GR_ONLY})
        body = await resp.json(content_type=None)
        assert resp.status == 400 and codes(body) == ["BAD_REQUEST"], (operations, files_map, parts, body)
        assert body["errors"][0]["extensions"]["field"] == field, body
        assert list(platform.media_spool.directory.iterdir()) == []  # temp files removed
    for data, content_type in GARBLED:
        resp = await client.post("/graphql", data=data, headers={**auth, "Content-Type": content_type})
        assert resp.status == 400 and codes(await resp.json()) == ["BAD_REQUEST"], data


# -- rate limits -----------------------------------------------------------------------------
async def test_rate_limit_counter_survives_racing_first_hits(platform):
    """Concurrent first hits on new counters (as right after a restart): SecantusDB may answer
    an upsert with no document; the count is read back instead of failing the request."""
    repo = RateLimitRepository(platform.db)
    expires = datetime.now(UTC) + timedelta(minutes=1)
    for round_ in range(4):
        keys = [f"race:{round_}:{i}" for i in range(5)]
        counts = await asyncio.gather(*(repo.increment(keys[i % 5], expires) for i in range(100)))
        assert all(isinstance(n, int) and 1 <= n <= 20 for n in counts), counts
        docs = await platform.db.rate_limits.find({"_id": {"$in": keys}}).to_list()
        assert sorted(d["n"] for d in docs) == [20] * 5


async def test_rate_limiter_fails_open_while_the_database_is_down(aiohttp_client, tmp_path):
    from community_plus.settings import load_settings
    from community_plus.platform.testing import start_test_database

    db = start_test_database(tmp_path / "db")
    settings = load_settings(MONGODB_URI=db.uri, CP_DATA_DIR=str(tmp_path), CP_RATE_LIMITS="anonymous=5",
                             CP_BACKGROUND_JOBS="false")
    client = await aiohttp_client(create_app(settings))
    limiter = client.app[PLATFORM].request_limiter
    limiter.clock = lambda: 1_800_000_010.0
    assert (await client.post("/graphql", json={"query": "{ __typename }"})).status == 200
    db.stop()
    resp = await client.post("/graphql", json={"query": "{ __typename }"})  # the counter is unreachable
    # never a 500: the limiter lets the request through, or the server (which by now may know the
    # database is down) answers 503 with Retry-After
    assert resp.status in (200, 503), await resp.text()
    if resp.status == 503:
        assert resp.headers["Retry-After"]
    else:
        assert (await resp.json())["data"] == {"__typename": "Query"}
    db.start()  # same port and storage: counting resumes
    for _ in range(300):  # until the driver has seen the database again
        if (await client.get("/readyz")).status == 200 and dbm.down_error(client.app[PLATFORM].client) is None:
            break
        await asyncio.sleep(0.05)
    statuses = [(await client.post("/graphql", json={"query": "{ __typename }"})).status for _ in range(6)]
    assert set(statuses) <= {200, 429} and statuses[-1] == 429
    db.stop()


# -- client disconnects ----------------------------------------------------------------------
async def test_client_disconnect_is_499_not_an_error(aiohttp_server, settings, capsys):
    server = await aiohttp_server(create_app(settings))
    reader, writer = await asyncio.open_connection(server.host, server.port)
    writer.write(b"POST /graphql HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 100000\r\nExpect: 100-continue\r\n\r\n")
    await writer.drain()
    assert (await reader.readline()).startswith(b"HTTP/1.1 100")  # the handler is now reading the body
    writer.write(b'{"query": "{ me')
    await writer.drain()
    writer.close()
    metrics = server.app[METRICS]

    def count(status: str) -> float:
        return metrics.registry.get_sample_value("cp_http_requests_total",
                                                 {"method": "POST", "route": "/graphql", "status": status}) or 0

    for _ in range(500):  # wait for the server to notice the closed connection
        if count("499"):
            break
        await asyncio.sleep(0.01)
    assert count("499") == 1 and count("500") == 0
    logged = capsys.readouterr()
    assert "unhandled error" not in logged.err + logged.out and "Traceback" not in logged.err + logged.out


async def test_operation_name_labels_are_bounded(client):
    metrics = client.app[METRICS]
    for i in range(50):  # client-chosen names share one series
        metrics.observe_operation(f"Op{i}", "ok", 0.001)
    names = {s.labels["operation"] for m in metrics.registry.collect() if m.name == "cp_graphql_operations"
             for s in m.samples}
    assert names == {"other"}
