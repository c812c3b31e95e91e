"""Fuzzing what a client controls outside the document: the HTTP envelope (`query`,
`variables`, `operationName`, `extensions` as arbitrary JSON, bodies, content types, GET and
POST, both response media types, multipart forms) and the variable values of every root field
of the published SDL in `schema/` (well-typed, edge values and wrong types).

Nothing a client sends may give a 5xx or INTERNAL_SERVER_ERROR; every error carries a stable
code; under `application/graphql-response+json` a request error has no `data` entry and a 4xx
status. Derandomized (the same requests every run); a few thousand requests in seconds.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import hypothesis.strategies as st
import pytest
from graphql import (GraphQLEnumType, GraphQLInputObjectType, GraphQLList, GraphQLNonNull, GraphQLScalarType,
                     build_schema, get_named_type, is_leaf_type)
from hypothesis import HealthCheck, given, settings as hsettings

from community_plus.settings import load_settings

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schema"
GR = "application/graphql-response+json"
EXAMPLES = 1500  # envelopes of every kind
PER_OPERATION = 8  # and for each root field of the SDL, its variables fuzzed
STABLE_CODES = {"BAD_REQUEST", "BAD_USER_INPUT", "GRAPHQL_VALIDATION_FAILED", "UNAUTHENTICATED", "FORBIDDEN",
                "NOT_FOUND", "CONFLICT", "MODULE_DISABLED", "RATE_LIMITED", "QUERY_TOO_COMPLEX",
                "PERSISTED_QUERY_NOT_FOUND", "WECHAT_NOT_CONFIGURED", "STORAGE_UNAVAILABLE"}


@pytest.fixture
def settings(db_uri, tmp_path):
    """Limits high enough that the limiter counts every request without refusing the fuzzer."""
    return load_settings(MONGODB_URI=db_uri, CP_DATA_DIR=str(tmp_path), CP_ENV="dev", CP_LOG_FORMAT="console",
                         CP_BACKGROUND_JOBS="false",
                         CP_RATE_LIMITS="anonymous=1000000,community_admin=1000000,platform_admin=1000000")


# -- operations of the published SDL ---------------------------------------------------------
def _type_ref(t) -> str:
    if isinstance(t, GraphQLNonNull):
        return _type_ref(t.of_type) + "!"
    if isinstance(t, GraphQLList):
        return f"[{_type_ref(t.of_type)}]"
    return t.name


def sdl_operations() -> list[tuple[str, str, dict[str, Any]]]:
    """(document, root field, {variable: input type}) for every Query and Mutation field of every
    SDL file, each argument passed as a variable, selecting only `__typename` below the field."""
    seen: dict[tuple[str, str], tuple[str, str, dict[str, Any]]] = {}
    for path in sorted(SCHEMA_DIR.glob("*.graphql")):
        schema = build_schema(path.read_text())
        for kind, root in (("query", schema.query_type), ("mutation", schema.mutation_type)):
            for name, fld in (root.fields if root else {}).items():
                if (kind, name) in seen:
                    continue
                args = dict(fld.args)
                decl = ", ".join(f"${a}: {_type_ref(arg.type)}" for a, arg in args.items())
                call = ", ".join(f"{a}: ${a}" for a in args)
                selection = "" if is_leaf_type(get_named_type(fld.type)) else " { __typename }"
                doc = (f"{kind} Fuzz{'(' + decl + ')' if decl else ''} "
                       f"{{ {name}{'(' + call + ')' if call else ''}{selection} }}")
                seen[(kind, name)] = (doc, name, {a: arg.type for a, arg in args.items()})
    return list(seen.values())


# -- values ----------------------------------------------------------------------------------
json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70),
                         st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=20))
json_values = st.recursive(json_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)), max_leaves=8)
edge_ints = st.sampled_from([0, -1, 1, 2**31 - 1, -2**31, 2**31, 2**53 + 1, 10**30])
edge_strings = st.sampled_from(["", " ", "0", "null", "x" * 300, "\u0000", "🏃", "$where", "{\"$gt\": \"\"}",
                                "000000000000000000000000", "../../etc/passwd", "2026-02-30", "1950-06-30",
                                "2026-01-01T00:00:00+00:00", "2030-12-31T23:59:59Z", "not-a-date"])
SCALARS = {
    "Int": st.one_of(st.integers(-1000, 1000), edge_ints),
    "Float": st.one_of(st.floats(allow_nan=True, allow_infinity=True), edge_ints),
    "String": st.one_of(st.text(max_size=30), edge_strings),
    "ID": st.one_of(st.text(max_size=30), edge_strings, st.integers(-5, 10**20)),
    "Boolean": st.booleans(),
    "Date": st.one_of(st.dates().map(str), edge_strings),
    "DateTime": st.one_of(st.datetimes().map(lambda d: d.isoformat()), edge_strings),
    "JSON": json_values,
}


def value_of(t, depth: int = 0) -> st.SearchStrategy:
    """A value for input type `t`: usually well-shaped, sometimes null, an edge or a wrong type."""
    nullable = not isinstance(t, GraphQLNonNull)
    inner_type = t if nullable else t.of_type
    if depth > 3:
        return st.none()
    if isinstance(inner_type, GraphQLList):
        item = value_of(inner_type.of_type, depth + 1)
        inner = st.one_of(st.lists(item, max_size=3), item)
    elif isinstance(inner_type, GraphQLInputObjectType):
        fields = inner_type.fields
        required = {k: value_of(f.type, depth + 1) for k, f in fields.items()
                    if isinstance(f.type, GraphQLNonNull) and f.default_value is None}
        optional = {k: value_of(f.type, depth + 1) for k, f in fields.items() if k not in required}
        shaped = st.fixed_dictionaries(required, optional=optional)
        inner = st.one_of(shaped, shaped.map(lambda d: {**d, "zzUnknownField": 1}),
                          shaped.map(lambda d: dict(list(d.items())[1:])))  # a required field dropped
    elif isinstance(inner_type, GraphQLEnumType):
        inner = st.one_of(st.sampled_from(list(inner_type.values)), st.just("NOT_A_VALUE"),
                          st.sampled_from(list(inner_type.values)).map(str.lower))
    elif isinstance(inner_type, GraphQLScalarType):
        inner = SCALARS.get(inner_type.name, json_values)
    else:
        inner = json_values
    return st.one_of(inner, inner, inner, st.none(), json_values) if depth == 0 or nullable else \
        st.one_of(inner, inner, inner, json_values)


def variables_of(types: dict[str, Any]) -> st.SearchStrategy:
    optional = {name: value_of(t) for name, t in types.items()}
    return st.fixed_dictionaries({}, optional={**optional, "zzExtra": json_values})


# -- requests --------------------------------------------------------------------------------
@dataclass
class Request:
    method: str  # "GET", "POST" (JSON envelope), "RAW" (body + content type as given), "MULTIPART"
    envelope: Any = None
    body: bytes = b""
    content_type: str | None = None
    accept: str | None = None
    caller: str | None = None  # None, "admin", "garbage"
    form: dict[str, Any] = field(default_factory=dict)


ACCEPTS = st.sampled_from([None, "application/json", GR, "*/*", f"{GR}, application/json;q=0.9",
                           f"application/json, {GR};q=0.5", "text/html", f"{GR};q=0", "application/*"])
CALLERS = st.sampled_from([None, "admin", "admin", "garbage"])
PERSISTED = st.one_of(json_values, st.fixed_dictionaries({"persistedQuery": st.fixed_dictionaries(
    {"version": st.one_of(st.just(1), json_values),
     "sha256Hash": st.one_of(st.text(alphabet="0123456789abcdef", min_size=64, max_size=64), json_values)})}))
RAW_TYPES = st.sampled_from([None, "text/plain", "application/json; charset=latin-1", "application/json",
                             "application/x-www-form-urlencoded", "multipart/form-data", "application/graphql",
                             "application/json; charset=utf-16"])
UPLOAD = 'mutation Up($f: Upload!, $p: String!) { uploadFile(file: $f, purpose: $p) { id } }'


def operation_envelope(op) -> st.SearchStrategy:
    """An envelope running `op` with fuzzed variables (and sometimes an operationName/extensions)."""
    doc, _, types = op
    return st.fixed_dictionaries({"query": st.just(doc), "variables": variables_of(types)}, optional={
        "operationName": st.one_of(st.just("Fuzz"), st.none(), json_values), "extensions": PERSISTED})


def operation_requests(op) -> st.SearchStrategy:
    """`op` over POST or GET, either media type, as any caller."""
    return st.builds(Request, method=st.sampled_from(["POST", "POST", "GET"]), envelope=operation_envelope(op),
                     accept=ACCEPTS, caller=CALLERS)


def requests_for(operations) -> st.SearchStrategy:
    valid = st.sampled_from(operations).flatmap(operation_envelope)
    junk = st.fixed_dictionaries({}, optional={
        "query": st.one_of(json_values, st.text(max_size=40), st.sampled_from([op[0] for op in operations])),
        "variables": json_values, "operationName": json_values, "extensions": PERSISTED, "qeury": json_values})
    envelope = st.one_of(valid, valid, valid, junk, json_values)
    posts = st.builds(Request, method=st.just("POST"), envelope=envelope, accept=ACCEPTS, caller=CALLERS)
    gets = st.builds(Request, method=st.just("GET"), envelope=envelope, accept=ACCEPTS, caller=CALLERS)
    raws = st.builds(Request, method=st.just("RAW"), body=st.one_of(
        st.binary(max_size=60), envelope.map(lambda e: json.dumps(e).encode()),
        envelope.map(lambda e: json.dumps(e).encode("utf-16")), st.just(b"")),
        content_type=RAW_TYPES, accept=ACCEPTS, caller=CALLERS)
    paths = st.sampled_from(["variables.f", "variables.f.x.y", "variables", "f", "variables.p", "variables.f.0",
                             "query", "variables.zz", ""])
    forms = st.fixed_dictionaries({}, optional={
        "operations": st.one_of(st.just(json.dumps({"query": UPLOAD, "variables": {"f": None, "p": "photo"}})),
                                json_values.map(json.dumps), st.text(max_size=10)),
        "map": st.one_of(st.dictionaries(st.sampled_from(["0", "1"]), st.one_of(st.lists(paths, max_size=2),
                                                                            json_values), max_size=2)
                         .map(json.dumps), st.text(max_size=10), json_values.map(json.dumps)),
        "files": st.lists(st.sampled_from(["0", "1", "2"]), max_size=2, unique=True)})
    multiparts = st.builds(Request, method=st.just("MULTIPART"), form=forms, accept=ACCEPTS,
                           caller=st.sampled_from(["admin", None]))
    return st.one_of(posts, posts, posts, gets, gets, raws, multiparts)


def _param(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


async def send(client, r: Request, tokens: dict[str, str]) -> tuple[Request, int, str, str]:
    headers: dict[str, str] = {}
    if r.accept is not None:
        headers["Accept"] = r.accept
    if r.caller is not None:
        headers["Authorization"] = f"Bearer {tokens[r.caller]}"
    if r.method == "POST":
        resp = await client.post("/graphql", data=json.dumps(r.envelope), headers={
            **headers, "Content-Type": "application/json"})
    elif r.method == "GET":
        env = r.envelope if isinstance(r.envelope, dict) else {"query": r.envelope}
        params = {k: _param(v) for k, v in env.items() if v is not None}
        resp = await client.get("/graphql", params=params, headers=headers)
    elif r.method == "RAW":
        if r.content_type is not None:
            headers["Content-Type"] = r.content_type
        resp = await client.post("/graphql", data=r.body, headers=headers,
                                 skip_auto_headers=["Content-Type"] if r.content_type is None else ())
    else:
        form = aiohttp.FormData()
        for name in ("operations", "map"):
            if name in r.form:
                form.add_field(name, r.form[name])
        for name in r.form.get("files", []):
            form.add_field(name, b"\xff\xd8\xff\xe0not really a jpeg", filename="p.jpg", content_type="image/jpeg")
        if not r.form:
            form.add_field("x", "y")
        resp = await client.post("/graphql", data=form, headers={**headers, "Apollo-Require-Preflight": "1"})
    return r, resp.status, resp.content_type, await resp.text()


def collect(strategy: st.SearchStrategy, n: int) -> list[Any]:
    found: list[Any] = []

    @hsettings(max_examples=n, deadline=None, derandomize=True, database=None,
               suppress_health_check=list(HealthCheck))
    @given(strategy)
    def gather(example) -> None:
        found.append(example)

    gather()
    return found


async def test_envelope_and_variables_never_give_5xx(client, gql, world, platform):
    platform_admin = await gql.login("admin")
    community = world["communities"][0]["_id"]
    modules = sorted(p.stem for p in SCHEMA_DIR.glob("*.graphql") if p.stem != "core")
    for module in modules:  # every module's fields are live for admin001's community
        await gql.ok("mutation($c: ID!, $m: String!) { setModuleEnabled(communityId: $c, module: $m, enabled: true) "
                     "{ enabled } }", {"c": community, "m": module}, token=platform_admin)
    tokens = {"admin": await gql.login("admin001"), "garbage": "eyJhbGciOiJIUzI1NiJ9.e30.not-a-signature"}
    operations = sdl_operations()
    assert len(operations) >= 80, len(operations)  # the SDL's root fields, core and modules
    batch = collect(requests_for(operations), EXAMPLES)
    assert len(batch) >= EXAMPLES * 0.9
    for op in operations:
        batch += collect(operation_requests(op), PER_OPERATION)
    assert len(batch) >= 2500

    semaphore = asyncio.Semaphore(8)

    async def bounded(r: Request):
        async with semaphore:
            return await send(client, r, tokens)

    results = await asyncio.gather(*(bounded(r) for r in batch))
    failures, codes, statuses, fields = [], Counter(), Counter(), set()
    for r, status, content_type, text in results:
        statuses[status] += 1
        problem = None
        try:
            body = json.loads(text)
        except ValueError:
            graphiql = r.method == "GET" and r.accept == "text/html" and content_type == "text/html"
            body, problem = None, None if graphiql else "not JSON"
        if status >= 500:
            problem = f"HTTP {status}"
        errors = body.get("errors") or [] if isinstance(body, dict) else []
        for err in errors:
            code = (err.get("extensions") or {}).get("code")
            codes[code] += 1
            if code not in STABLE_CODES:
                problem = f"code {code}"
        wants_gr = content_type == GR
        if isinstance(body, dict) and errors and not any(e.get("path") for e in errors):  # a request error
            if wants_gr and ("data" in body or status < 400):
                problem = "graphql-response+json request error with data or a 2xx status"
            if status == 200 and not wants_gr and "data" not in body:
                problem = "application/json request error answered 200 without data"
        if r.accept == GR and content_type != GR:
            problem = f"asked for {GR}, got {content_type}"
        if problem:
            failures.append((problem, r, status, text[:300]))
        if isinstance(r.envelope, dict) and isinstance(r.envelope.get("query"), str):
            fields.add(r.envelope["query"])
    print(f"{len(results)} requests; statuses {dict(statuses)}; codes {dict(codes)}")
    assert not failures, f"{len(failures)} bad answers, e.g. {failures[:3]}"
    # the fuzzer reached every layer: envelope refusals, variable coercion, execution, successes
    assert statuses[200] > 300 and statuses[400] > 300 and statuses[405] > 0 and statuses[415] > 0, statuses
    assert codes["BAD_REQUEST"] > 100 and codes["BAD_USER_INPUT"] > 100, codes
    assert codes["GRAPHQL_VALIDATION_FAILED"] > 0 and codes["UNAUTHENTICATED"] > 0, codes
    assert fields >= {op[0] for op in operations}  # every root field of the SDL was sent
