"""Subscription sockets: authentication in connection_init, refusals with close codes."""

from __future__ import annotations

from datetime import UTC, datetime

from community_plus.platform.security.tokens import issue_access_token
import pytest

from realtime_fixtures import RawSocket, realtime_settings, staff_token, ws_url


@pytest.fixture
def settings(db_uri, tmp_path):
    return realtime_settings(db_uri, tmp_path)


async def test_ack_names_the_viewer_and_the_community_modules(client, platform, world):
    token = await staff_token(platform, "admin001")
    sock = await RawSocket.open(client.session, ws_url(client))
    ack = await sock.init({"accessToken": token})
    assert ack["type"] == "connection_ack"
    assert ack["payload"]["role"] == "community_admin"
    assert ack["payload"]["communityId"] == world["communities"][0]["_id"]
    assert isinstance(ack["payload"]["modules"], list)
    assert datetime.fromisoformat(ack["payload"]["expiresAt"]) > datetime.now(UTC)
    await sock.close()


async def test_refusals_have_distinct_close_codes(client, platform, world):
    url = ws_url(client)
    cases = [({}, 4401, "no access token"), ({"accessToken": "not-a-jwt"}, 4401, "invalid"),
             ({"Authorization": "Bearer x.y.z"}, 4401, "invalid")]
    user = await platform.users.by_username("admin001")
    expired = issue_access_token({"sub": user["_id"], "role": "community_admin"},
                                 platform.settings.signing_key, ttl=-10)
    cases.append(({"accessToken": expired}, 4419, "expired"))
    nanjing = await staff_token(platform, "admin001")
    other = world["communities"][1]["_id"]
    cases.append(({"accessToken": nanjing, "X-Community-Id": other}, 4403, "outside your scope"))
    cases.append(({"accessToken": nanjing, "X-Community-Id": 42}, 4400, "X-Community-Id"))
    for payload, code, words in cases:  # the reason says what to do next
        sock = await RawSocket.open(client.session, url)
        assert await sock.init(payload) is None, payload
        assert (sock.close_code, words in sock.close_reason) == (code, True), (payload, sock.close_reason)


async def test_staff_choose_a_community_in_the_payload(client, platform, world):
    token = await staff_token(platform, "nanjing")
    community = world["communities"][1]["_id"]
    sock = await RawSocket.open(client.session, ws_url(client))
    ack = await sock.init({"authorization": f"Bearer {token}", "X-Community-Id": community})
    assert ack["type"] == "connection_ack" and ack["payload"]["communityId"] == community
    await sock.close()


async def test_a_principal_of_a_missing_community_gets_the_core_schema(client, platform, world):
    from community_plus.platform.repository import new_id
    from community_plus.domains.identity.auth import AuthService

    user = {"_id": new_id(), "role": "resident", "displayName": "无社区", "communityId": "gone"}
    await platform.users.insert(user)
    token = (await AuthService(platform).start_session(user)).access_token
    sock = await RawSocket.open(client.session, ws_url(client))
    ack = await sock.init({"accessToken": token})  # never an HTTP error written into the socket
    assert ack["type"] == "connection_ack" and ack["payload"]["modules"] == []
    await sock.close()
