"""The `graphql-transport-ws` handler: strawberry's, with our authentication, limits,
per-community schemas and error format.

After `connection_init` is accepted the socket is bound to its community's module set;
every `subscribe` runs against the schema of that set as it is at that moment (a module
switched on later is subscribable without reconnecting). Only subscriptions are served
here; queries and mutations belong to `POST /graphql` (rate limits, persisted queries).
"""

from __future__ import annotations

import asyncio
from contextlib import suppress
from typing import Any

import structlog
from graphql import GraphQLError
from pymongo.errors import ConnectionFailure
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
    _OperationStreamClosed,
)
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType
from strawberry.utils.aio import aclosing

from community_plus.platform.errors import RateLimited
from community_plus.realtime.connection import UNAVAILABLE, Refusal, authenticate

log = structlog.get_logger("community_plus.realtime")


def _not_a_subscription() -> GraphQLError:
    return GraphQLError("WebSocket 只用于订阅 (only subscriptions are served over WebSocket: send queries and "
                        "mutations to POST /graphql)", extensions={"code": "GRAPHQL_VALIDATION_FAILED"})


class SocketOperation(Operation):
    """An operation whose results and errors are formatted like the HTTP endpoint's."""

    __slots__ = ()

    async def send_next(self, execution_result: ExecutionResult) -> None:
        payload = await self.handler.view.process_result(self.handler.context.request, execution_result)
        await self.send_operation_message({"id": self.id, "type": "next", "payload": payload})

    async def send_initial_errors(self, errors: list[GraphQLError]) -> None:
        errors = [_not_a_subscription() if isinstance(e.original_error, InvalidOperationTypeError) else e
                  for e in errors]
        payload = await self.handler.view.process_result(self.handler.context.request,
                                                         ExecutionResult(data=None, errors=errors))
        await self.send_operation_message({"id": self.id, "type": "error", "payload": payload["errors"]})


def _unexpected(exc: Exception) -> Refusal:
    if isinstance(exc, ConnectionFailure):
        return Refusal(UNAVAILABLE, "SERVICE_UNAVAILABLE: the database is unavailable (retry)")
    log.error("connection_init failed", exc_info=exc)
    return Refusal(4500, "INTERNAL_SERVER_ERROR: could not open the socket")


class RealtimeHandler(BaseGraphQLTransportWSHandler):
    async def handle_connection_init(self, message: dict[str, Any]) -> None:
        payload = message.get("payload") or {}
        if self.connection_init_received or self.connection_timed_out or not isinstance(payload, dict):
            return await super().handle_connection_init(message)  # the protocol's own errors (4429, 4400)
        if self.connection_init_timeout_task:
            self.connection_init_timeout_task.cancel()
        realtime = self.view.realtime
        try:
            identity = await authenticate(realtime.platform, payload, self.context.scope)
            modules = await realtime.module_set(identity.scope.community_id)
            conn = await realtime.connections.open(identity, self.websocket, modules,
                                                   transport=self.context.request.transport)
        except Exception as exc:  # the socket is upgraded: every failure must be a close frame
            refusal = exc if isinstance(exc, Refusal) else _unexpected(exc)
            self.connection_init_received = True
            realtime.metrics.refused.labels(str(refusal.code)).inc()
            await self.websocket.close(code=refusal.code, reason=refusal.reason)
            return
        self.context.scope = identity.scope
        self.context.connection = conn
        self.context.module_set = modules
        await super().handle_connection_init(message)

    async def handle_subscribe(self, message: dict[str, Any]) -> None:
        if not self.connection_acknowledged:
            await self.websocket.close(code=4401, reason="Unauthorized")
            return
        if message["id"] in self.operations:
            await self.websocket.close(code=4409, reason=f"Subscriber for {message['id']} already exists")
            return
        limit = self.view.realtime.settings.ws_max_subscriptions
        if len(self.operations) >= limit:
            error = RateLimited(f"每个连接最多 {limit} 个订阅 (at most {limit} subscriptions per socket: "
                                "complete one first, CP_WS_MAX_SUBSCRIPTIONS)", retry_after=0)
            await self.send_message({"id": message["id"], "type": "error", "payload": [error.formatted]})
            return
        payload = message["payload"]
        operation = SocketOperation(self, message["id"], payload["query"], payload.get("variables"),
                                    payload.get("operationName"))
        operation.task = asyncio.create_task(self.run_operation(operation))
        operation.task.add_done_callback(self._task_done)
        self.operations[message["id"]] = operation

    async def run_operation(self, operation: Operation) -> None:
        view = self.view
        conn = self.context.connection
        schema = view.realtime.schema_for(conn.module_set)
        context = self.context.for_operation(conn.module_set)
        name = operation.operation_name
        status = "ok"
        try:
            result_source = await schema.stream(
                operation.query, variable_values=operation.variables, context_value=context, root_value=None,
                operation_name=operation.operation_name, allowed_operation_types=(OperationType.SUBSCRIPTION,))
            async with aclosing(result_source):
                await self._send_result_stream(operation, result_source)
            await operation.send_operation_message({"id": operation.id, "type": "complete"})
        except _OperationStreamClosed:
            status = "error"
            return
        except asyncio.CancelledError:
            raise
        except Exception as error:  # pragma: no cover - the stream converts errors to results
            status = "error"
            await self.handle_task_exception(error)
            with suppress(Exception):
                await operation.send_operation_message({"id": operation.id, "type": "complete"})
            self.operations.pop(operation.id, None)
        finally:  # counted, not timed: a subscription lasts as long as the client wants
            view.metrics.operations.labels(f"subscription:{view.metrics.operation_label(name)}", status).inc()

    async def shutdown(self) -> None:
        await super().shutdown()
        conn = getattr(self.context, "connection", None)
        if conn is not None:
            await self.view.realtime.connections.gone(conn)
