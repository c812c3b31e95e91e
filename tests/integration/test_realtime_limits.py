"""Bounded resources and socket lifetime: sockets per user, subscriptions per socket,
slow consumers, token expiry, revocation, shutdown, ping/pong; only subscriptions ride
the socket."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from bson import ObjectId

from community_plus.keys import PLATFORM
from community_plus.realtime.cursor import Position
from community_plus.domains.notifications.outbox_repository import notification_events
from community_plus.platform.security.tokens import issue_access_token
from community_plus.domains.identity.auth import principal_of
from community_plus_harness import GraphQLClient
from realtime_fixtures import NOTIFICATION_SUB, RawSocket, realtime_settings, staff_token, ws_url


@pytest.fixture
def settings(db_uri, tmp_path):
    return realtime_settings(db_uri, tmp_path, CP_WS_MAX_SOCKETS_PER_USER="2", CP_WS_MAX_SUBSCRIPTIONS="2",
                             CP_WS_QUEUE_SIZE="3")


async def _acked(client, token: str) -> RawSocket:
    sock = await RawSocket.open(client.session, ws_url(client))
    ack = await sock.init({"accessToken": token})
    assert ack and ack["type"] == "connection_ack", ack
    return sock


async def _until(predicate, timeout: float = 5.0) -> None:
    async def wait() -> None:
        while not predicate():
            await asyncio.sleep(0.01)

    await asyncio.wait_for(wait(), timeout)


async def test_sockets_per_user_are_limited_across_workers(settings, client, platform, world, aiohttp_client):
    from community_plus.app import create_app

    other_worker = await aiohttp_client(create_app(platform.settings))
    token = await staff_token(platform, "admin001")
    first, second = await _acked(client, token), await _acked(other_worker, token)
    third = await RawSocket.open(client.session, ws_url(client))
    assert await third.init({"accessToken": token}) is None
    assert third.close_code == 4429
    await second.close()
    await _until(lambda: len(other_worker.app[PLATFORM].realtime.connections) == 0)
    again = await _acked(client, token)  # a socket closed frees its place
    await again.close(), await first.close()


async def test_subscriptions_per_socket_are_limited(client, platform, world):
    sock = await _acked(client, await staff_token(platform, "admin001"))
    for i in ("1", "2", "3"):
        await sock.subscribe(i, NOTIFICATION_SUB)
    msg = await sock.receive()
    assert msg["id"] == "3" and msg["type"] == "error"
    assert msg["payload"][0]["extensions"]["code"] == "RATE_LIMITED"
    await sock.send({"id": "1", "type": "complete"})  # completing one frees a place
    await _until(lambda: len(platform.realtime.hub) == 1)
    await sock.subscribe("4", NOTIFICATION_SUB)
    await _until(lambda: len(platform.realtime.hub) == 2)
    await sock.close()


async def test_a_slow_consumer_is_dropped_not_buffered(client, platform, world):
    user = await platform.users.by_username("admin001")
    sock = await _acked(client, await staff_token(platform, "admin001"))
    await sock.subscribe("1", NOTIFICATION_SUB)
    realtime = platform.realtime
    await _until(lambda: len(realtime.hub) == 1)
    # a burst larger than the queue (3), delivered before the socket's task can send any
    for doc in notification_events([_message(user["_id"], n) for n in range(10)]):
        doc["_id"] = ObjectId()
        realtime.hub.deliver(Position(0, 0, doc["_id"]), doc)
    code, _ = await sock.closed()
    assert code == 4013
    await _until(lambda: len(realtime.hub) == 0 and len(realtime.connections) == 0)


async def test_the_socket_closes_when_the_token_expires(client, platform, world):
    user = await platform.users.by_username("admin001")
    from community_plus.domains.identity.auth import AuthService

    session = await AuthService(platform).start_session(user)
    short = issue_access_token(principal_of(user, session.principal.session_id).claims(),
                               platform.settings.signing_key, ttl=1)
    sock = await _acked(client, short)
    code, _ = await sock.closed(timeout=5)
    assert code == 4419


async def test_revoked_sessions_and_disabled_accounts_are_closed(client, platform, world):
    gql = GraphQLClient(client)
    token = await staff_token(platform, "admin001")
    worker = await platform.users.coll.find_one({"role": "grid_worker"})
    worker_token = await staff_token(platform, worker["username"])
    sock, other = await _acked(client, token), await _acked(client, worker_token)
    await gql.ok("mutation { logout }", token=token)
    realtime = platform.realtime
    assert await realtime.connections.revalidate() == 1  # only the logged-out session
    assert (await sock.closed())[0] == 4401
    await platform.users.coll.update_one({"_id": worker["_id"]}, {"$set": {"disabled": True}})
    assert await realtime.connections.revalidate() == 1
    assert (await other.closed())[0] == 4401


async def test_shutdown_closes_sockets_with_going_away(settings, aiohttp_client):
    from community_plus.app import create_app

    worker = await aiohttp_client(create_app(settings))
    platform = worker.app[PLATFORM]
    from community_plus.demo.seed import seed

    await seed(platform, communities=1, residents_per_community=2, grids_per_community=1, work_orders_per_community=0)
    sock = await _acked(worker, await staff_token(platform, "admin"))
    closing = asyncio.create_task(worker.server.close())
    code, _ = await sock.closed()
    assert code == 1001
    await closing


async def test_only_subscriptions_ride_the_socket_and_ping_is_answered(client, platform, world):
    sock = await _acked(client, await staff_token(platform, "admin001"))
    await sock.send({"type": "ping"})
    assert (await sock.receive())["type"] == "pong"
    await sock.subscribe("q", "query { me { id } }")
    msg = await sock.receive()
    assert msg["type"] == "error" and msg["payload"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    await sock.subscribe("v", "subscription { noSuchField }")
    msg = await sock.receive()
    assert msg["type"] == "error" and msg["payload"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    await sock.close()


async def test_subscriptions_over_http_are_refused_with_a_stable_code(client, platform, world):
    token = await staff_token(platform, "admin001")
    body = await GraphQLClient(client)(NOTIFICATION_SUB, token=token)
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "WebSocket" in body["errors"][0]["message"]
    resp = await client.post("/graphql", json={"query": NOTIFICATION_SUB},
                             headers={"Authorization": f"Bearer {token}", "Accept": "application/graphql-response+json"})
    assert resp.status == 400


def _message(user_id: str, n: int) -> dict:
    now = datetime.now(UTC)
    return {"_id": f"m{n}", "recipientUserId": user_id, "page": None, "createdAt": now,
            "data": {"thing1": {"value": f"消息{n}"}, "phrase2": {"value": "已提交"}}}


async def test_a_malformed_event_never_stops_the_feed(client, platform, world):
    from community_plus.platform.event_log import EventLog

    user = await platform.users.by_username("admin001")
    sock = await _acked(client, await staff_token(platform, "admin001"))
    await sock.subscribe("1", NOTIFICATION_SUB)
    await _until(lambda: len(platform.realtime.hub) == 1)
    log = EventLog(platform.db)
    await log.append([{"no": "topic"}])  # e.g. written by a buggy script
    await log.append(notification_events([_message(user["_id"], 1)]))
    msg = await sock.receive()
    assert msg["payload"]["data"]["notificationReceived"]["notification"]["title"] == "消息1"
    await sock.close()


async def test_a_peer_that_stops_answering_pings_is_closed(db_uri, tmp_path, aiohttp_client):
    from community_plus.app import create_app
    from community_plus.demo.seed import seed

    worker = await aiohttp_client(create_app(realtime_settings(db_uri, tmp_path / "hb", CP_WS_HEARTBEAT="0.3")))
    platform = worker.app[PLATFORM]
    await seed(platform, communities=1, residents_per_community=2, grids_per_community=1, work_orders_per_community=0)
    ws = await worker.session.ws_connect(ws_url(worker), protocols=["graphql-transport-ws"], autoping=False)
    sock = RawSocket(ws)
    assert (await sock.init({"accessToken": await staff_token(platform, "admin")}))["type"] == "connection_ack"
    realtime = platform.realtime
    assert len(realtime.connections) == 1
    # the client never answers the server's pings: the server gives up on it and frees the socket
    await _until(lambda: len(realtime.connections) == 0, timeout=10)
    for _ in range(100):  # its presence record is released right after (an awaited delete): wait for it
        if await platform.db["ws_presence"].count_documents({}) == 0:
            break
        await asyncio.sleep(0.05)
    assert await platform.db["ws_presence"].count_documents({}) == 0
