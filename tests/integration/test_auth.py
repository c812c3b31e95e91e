"""Password login, refresh-token rotation and reuse detection, logout, bad tokens."""

from __future__ import annotations

LOGIN = """mutation($u: String!, $p: String!) { loginWithPassword(username: $u, password: $p) {
  accessToken refreshToken expiresIn viewer { name role communityId gridIds } } }"""
REFRESH = "mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken refreshToken } }"


async def test_login_returns_tokens_and_viewer(gql, world):
    data = (await gql.ok(LOGIN, {"u": "gw0011", "p": "community-plus"}))["loginWithPassword"]
    assert data["expiresIn"] == 900
    assert data["viewer"]["role"] == "GRID_WORKER"
    assert data["viewer"]["gridIds"] == [world["grids"][world["communities"][0]["_id"]][0]["_id"]]
    me = await gql.ok("{ me { role grids { name } community { name } } }", token=data["accessToken"])
    assert me["me"]["grids"][0]["name"] == "第1网格"


async def test_wrong_password_and_unknown_user(gql, world):
    await gql.error("UNAUTHENTICATED", LOGIN, {"u": "admin", "p": "wrong-password"})
    await gql.error("UNAUTHENTICATED", LOGIN, {"u": "nobody", "p": "whatever1"})
    err = await gql.error("BAD_USER_INPUT", LOGIN, {"u": "", "p": ""})
    assert {f["path"] for f in err["extensions"]["fields"]} == {"username", "password"}


async def test_refresh_rotates_and_reuse_revokes_family(gql, world):
    first = (await gql.ok(LOGIN, {"u": "admin", "p": "community-plus"}))["loginWithPassword"]
    second = (await gql.ok(REFRESH, {"t": first["refreshToken"]}))["refreshSession"]
    assert second["refreshToken"] != first["refreshToken"]
    # the old token was rotated away: reusing it is theft → whole family revoked
    err = await gql.error("UNAUTHENTICATED", REFRESH, {"t": first["refreshToken"]})
    assert "reused" in err["message"]
    await gql.error("UNAUTHENTICATED", REFRESH, {"t": second["refreshToken"]})


async def test_logout_revokes_refresh_token(gql, world):
    tokens = (await gql.ok(LOGIN, {"u": "admin", "p": "community-plus"}))["loginWithPassword"]
    assert (await gql.ok("mutation { logout }", token=tokens["accessToken"]))["logout"] is True
    await gql.error("UNAUTHENTICATED", REFRESH, {"t": tokens["refreshToken"]})
    await gql.error("UNAUTHENTICATED", "mutation { logout }")


async def test_anonymous_and_bad_tokens(gql, world):
    await gql.error("UNAUTHENTICATED", "{ residents { totalCount } }")
    err = await gql.error("UNAUTHENTICATED", "{ residents { totalCount } }", token="not-a-jwt")
    assert "invalid" in err["message"]
    body = await gql("{ residents { totalCount } }", headers={"Authorization": "Basic abc"})
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_expired_access_token(gql, world, platform):
    from community_plus.platform.security.tokens import issue_access_token

    token = issue_access_token({"sub": "x", "role": "platform_admin"}, platform.settings.signing_key, ttl=-10)
    err = await gql.error("UNAUTHENTICATED", "{ residents { totalCount } }", token=token)
    assert "expired" in err["message"]


RESIDENTS = "{ residents(first: 1) { totalCount } }"


async def test_access_token_dies_with_its_session(gql, world):
    """Logout ends the access token at once (not when it expires 15 minutes later)."""
    tokens = (await gql.ok(LOGIN, {"u": "admin001", "p": "community-plus"}))["loginWithPassword"]
    await gql.ok(RESIDENTS, token=tokens["accessToken"])
    await gql.ok("mutation { logout }", token=tokens["accessToken"])
    err = await gql.error("UNAUTHENTICATED", RESIDENTS, token=tokens["accessToken"])
    assert err["extensions"]["reason"] == "SESSION_ENDED"


async def test_refresh_reuse_and_disabled_account_end_access_tokens_on_every_worker(gql, world, settings,
                                                                                   aiohttp_client):
    """Another worker (a second app on the same database) sees revocations within its cache TTL."""
    from community_plus.app import create_app
    from community_plus.keys import PLATFORM

    other = await aiohttp_client(create_app(settings))
    other_gate = other.app[PLATFORM].session_gate

    async def on_other(token: str) -> dict:
        resp = await other.post("/graphql", json={"query": RESIDENTS}, headers={"Authorization": f"Bearer {token}"})
        return await resp.json()

    first = (await gql.ok(LOGIN, {"u": "admin001", "p": "community-plus"}))["loginWithPassword"]
    assert not (await on_other(first["accessToken"])).get("errors")  # cached as live on the other worker
    second = (await gql.ok(REFRESH, {"t": first["refreshToken"]}))["refreshSession"]
    await gql.error("UNAUTHENTICATED", REFRESH, {"t": first["refreshToken"]})  # reuse → session revoked
    await gql.error("UNAUTHENTICATED", RESIDENTS, token=second["accessToken"])  # this worker: at once
    other_gate.clock = lambda: float("inf")  # the other worker's cache entry is past its TTL
    body = await on_other(first["accessToken"])
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"

    staff = (await gql.ok(LOGIN, {"u": "gw0011", "p": "community-plus"}))["loginWithPassword"]
    await gql.ok(RESIDENTS, token=staff["accessToken"])
    platform = gql.http.app[PLATFORM]
    await platform.users.coll.update_one({"username": "gw0011"}, {"$set": {"disabled": True}})
    platform.session_gate.clock = lambda: float("inf")
    await gql.error("UNAUTHENTICATED", RESIDENTS, token=staff["accessToken"])
