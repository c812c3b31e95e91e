"""Query limits: each with a query just under and just over it."""

from __future__ import annotations

import pytest

from community_plus.app import create_app
from community_plus.settings import load_settings


@pytest.fixture
def settings(db_uri, tmp_path):
    return load_settings(MONGODB_URI=db_uri, CP_DATA_DIR=str(tmp_path), CP_LOG_FORMAT="console", CP_MAX_DEPTH=6,
                         CP_MAX_ALIASES=3, CP_MAX_TOKENS=200, CP_MAX_COST=300, CP_BACKGROUND_JOBS="false")


def nested(depth: int) -> str:
    """A query whose deepest field is at `depth` (me=1, community=2, grids=3, community=4, …)."""
    inner = "name"
    chain = ["community", "grids"]
    for i in range(depth - 2):
        inner = f"{chain[i % 2]} {{ {inner} }}"
    return f"{{ me {{ {inner} }} }}"


async def test_depth(gql, world):
    token = await gql.login("admin001")
    assert "errors" not in await gql(nested(6), token=token)
    err = await gql.error("QUERY_TOO_COMPLEX", nested(7), token=token)
    assert err["extensions"] == {"code": "QUERY_TOO_COMPLEX", "measure": "depth", "value": 7, "limit": 6}


async def test_aliases(gql, world):
    token = await gql.login("admin001")
    three = "{ a: me { name } b: me { name } c: me { name } }"
    four = "{ a: me { name } b: me { name } c: me { name } d: me { name } }"
    assert "errors" not in await gql(three, token=token)
    err = await gql.error("QUERY_TOO_COMPLEX", four, token=token)
    assert err["extensions"]["measure"] == "aliases" and err["extensions"]["value"] == 4


async def test_cost_from_list_sizes(gql, world):
    token = await gql.login("admin001")
    q = "query($n: Int!) { residents(first: $n) { edges { node { name grid { name } } } } }"
    # cost = 1 + n × edges(1 + node(1 + name 1 + grid(1 + name 1))) = 1 + 5n
    assert "errors" not in await gql(q, {"n": 59}, token=token)  # 296
    err = await gql.error("QUERY_TOO_COMPLEX", q, {"n": 60}, token=token)  # 301
    assert err["extensions"]["value"] == 301 and err["extensions"]["limit"] == 300
    assert "301" in err["message"] and "300" in err["message"]


async def test_negative_first_does_not_lower_the_cost(gql, world):
    """`first: -1000` multiplied its selection's cost by -1000, making room for siblings that
    still run; it counts as 0 (and its own resolver answers BAD_USER_INPUT)."""
    token = await gql.login("admin001")
    q = """query($m: Int!) { a: residents(first: $m) { edges { node { name grid { name } } } }
      b: residents(first: 60) { edges { node { name grid { name } } } } }"""
    err = await gql.error("QUERY_TOO_COMPLEX", q, {"m": -1000}, token=token)
    assert err["extensions"]["value"] == 302  # 1 + 0 × 5 for a, 1 + 60 × 5 for b
    literal = q.replace("query($m: Int!) ", "").replace("$m", "-1000")
    assert (await gql.error("QUERY_TOO_COMPLEX", literal, token=token))["extensions"]["value"] == 302


async def test_tokens(gql, world):
    token = await gql.login("admin001")
    under = "{ " + " ".join(["me { name }"] * 40) + " }"  # 4 tokens each + braces
    over = "{ " + " ".join(["me { name }"] * 60) + " }"
    assert "errors" not in await gql(under, token=token)
    err = await gql.error("QUERY_TOO_COMPLEX", over, token=token)
    assert err["extensions"]["measure"] == "tokens"


async def test_first_is_capped(gql, world, platform):
    token = await gql.login("nanjing")
    data = await gql.ok("{ residents(first: 1000) { edges { cursor } } }", token=token)
    assert len(data["residents"]["edges"]) == 24  # below the cap of 100 here; the cost counted 100


async def test_body_size_capped(client):
    resp = await client.post("/graphql", data=b'{"query": "' + b"x" * (3 * 1024 * 1024) + b'"}',
                             headers={"Content-Type": "application/json"})
    assert resp.status == 413
