"""A module's realtime events: `ModuleContext.publish` and `ModuleContext.subscribe`.

Events of a module are scoped to one community and to the module's declared topics
(`register_topics`); a subscription sees an event when the caller is in that community
and, if the publisher narrowed the audience, is one of its users or holds its permission.
A module's subscriptions end (MODULE_DISABLED) when the module is switched off there.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from community_plus_sdk import ModuleEvent

from community_plus.platform.errors import NotFound, Unauthenticated
from community_plus.realtime.events import module_event
from community_plus.platform.event_log import record


def _declared(ctx: Any, topic: str) -> str:
    if topic not in ctx.registry.modules[ctx.module].topics:
        raise ValueError(f"module {ctx.module} did not declare topic {topic!r}: return it from register_topics()")
    return f"{ctx.module}:{topic}"


async def publish(ctx: Any, topic: str, data: dict[str, Any], *, user_ids: list[str] | None,
                  permission: str | None) -> None:
    _declared(ctx, topic)
    if permission is not None and "." in permission and permission not in ctx.registry.permission_roles:
        raise KeyError(f"permission {permission!r} is not declared by any module")
    community = await ctx.platform.regions.get(ctx._community())
    if community is None:
        raise NotFound("community")
    await record(ctx.platform, [module_event(ctx.module, topic, community, dict(data),
                                             list(user_ids) if user_ids is not None else None, permission)],
                 session=ctx._session)


async def subscribe(ctx: Any, topic: str, *, after: str | None) -> AsyncIterator[ModuleEvent]:
    name = _declared(ctx, topic)
    request = ctx.request_ctx
    conn = getattr(request, "connection", None)
    if conn is None:
        raise Unauthenticated("订阅需要通过 WebSocket 连接 (subscriptions are served over WebSocket on /graphql)")
    caller = ctx.require_caller()
    community_id = ctx._community()

    def visible(event) -> bool:
        if event.community_id != community_id:
            return False
        if event.payload.get("audience") and caller.user_id not in event.users:
            return False
        permission = event.payload.get("permission")
        return not permission or ctx.has_permission(permission)

    sub = request.realtime.hub.subscribe(name, [("community", community_id)], visible, after=after, owner=conn,
                                         module=ctx.module)
    try:
        async for event in sub.stream():
            yield ModuleEvent(cursor=event.cursor, topic=topic, data=event.payload.get("data") or {},
                              at=event.created_at)
    finally:
        sub.close()
