"""The WebSocket side of `/graphql` (`graphql-transport-ws` only).

One instance per app. The upgrade request carries no token (browsers and mini-programs
cannot set headers on it), so the schema is not chosen before the socket opens: the
handler authenticates `connection_init` and then runs each operation on the schema of
the socket's community (see `handler.py`). Any `Origin` may connect: authentication is
the token in `connection_init`, never a cookie, so there is no ambient credential for a
cross-site page to abuse.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aiohttp import web
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from community_plus.graphql.view import CommunityGraphQLView
from community_plus.http.middleware import REQUEST_ID, SCOPE
from community_plus.realtime.context import SocketContext
from community_plus.realtime.handler import RealtimeHandler

MAX_MESSAGE = 64 * 1024  # a subscribe message is a query and its variables


class RealtimeView(CommunityGraphQLView):
    graphql_transport_ws_handler_class = RealtimeHandler

    def __init__(self, schema, *, realtime: Any, platform, metrics, dev: bool) -> None:
        super().__init__(schema, platform=platform, metrics=metrics, dev=dev, module_set=frozenset())
        self.realtime = realtime
        self.protocols = (GRAPHQL_TRANSPORT_WS_PROTOCOL,)
        self.allowed_origins = frozenset({"*"})
        self.connection_init_wait_timeout = timedelta(seconds=realtime.settings.ws_init_timeout)
        self.max_subscriptions_per_connection = realtime.settings.ws_max_subscriptions

    async def create_websocket_response(self, request: web.Request, subprotocol: str | None) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(protocols=[subprotocol] if subprotocol else [], compress=False,
                                   heartbeat=self.realtime.settings.ws_heartbeat, max_msg_size=MAX_MESSAGE)
        await ws.prepare(request)
        return ws

    async def get_context(self, request: web.Request, response: Any) -> SocketContext:  # type: ignore[override]
        return SocketContext(platform=self.platform, scope=request[SCOPE], request_id=request[REQUEST_ID],
                             request=request, response=response, realtime=self.realtime)

    async def on_ws_connect(self, context: SocketContext) -> dict[str, object]:
        return context.connection.ack_payload()
