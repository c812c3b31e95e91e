"""A subscription sent to `POST /graphql` is a client mistake: say where it belongs.

strawberry would otherwise execute it like a query and fail inside (INTERNAL_SERVER_ERROR).
The check costs a substring search on the hot path; only documents that mention
`subscription` are parsed (cached).
"""

from __future__ import annotations

from functools import lru_cache

from graphql import GraphQLError, GraphQLSyntaxError, OperationDefinitionNode, OperationType, parse


@lru_cache(maxsize=256)
def _subscriptions(query: str) -> tuple[tuple[str | None, bool], ...]:
    try:
        document = parse(query)
    except GraphQLSyntaxError:
        return ()  # the normal path reports syntax errors
    return tuple((d.name.value if d.name else None, d.operation == OperationType.SUBSCRIPTION)
                 for d in document.definitions if isinstance(d, OperationDefinitionNode))


def subscription_over_http(query: str | None, operation_name: str | None) -> GraphQLError | None:
    """An error when the operation to run is a subscription, else None."""
    if not query or "subscription" not in query:
        return None
    ops = _subscriptions(query)
    chosen = [s for name, s in ops if operation_name is None or name == operation_name]
    if len(chosen) == 1 and chosen[0] or (operation_name is None and len(ops) == 1 and ops[0][1]):
        return GraphQLError("订阅请使用 WebSocket (subscriptions are served over WebSocket: connect to /graphql "
                            "with the graphql-transport-ws protocol)", extensions={"code": "GRAPHQL_VALIDATION_FAILED"})
    return None
