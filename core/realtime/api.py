"""The core subscriptions, scoped exactly like the queries they mirror.

- `workOrderUpdated`: the orders `workOrders` would list for the viewer (a resident's own
  and their wards'; a grid worker's grids and assigned orders; the desk's community; a
  region admin's region), using `WorkOrderService.visible_filter()` itself.
- `notificationReceived`: the viewer's notifications (`myNotifications`).
- `moduleStateChanged`: the module set of the socket's community changed (or a module's
  settings did): the mini-program refreshes its home.

Every event carries a `cursor`; pass the last one as `after` when resubscribing to get what
was missed meanwhile.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Any

import strawberry

from community_plus.platform.errors import BadUserInput, Unauthenticated
from community_plus.graphql.domains.notifications import Notification
from community_plus.graphql.domains.work_orders import WorkOrder, WorkOrderState
from community_plus.platform.context import Ctx
from community_plus.domains.work_orders.service import WorkOrderService
from community_plus.platform.event_log import MODULE_STATE, NOTIFICATION, WORK_ORDER
from community_plus.realtime.events import ALL, Event, Route
from community_plus.realtime.match import matches


def scope_routes(scope) -> list[Route]:
    """The routing key that covers a scope's `community_filter()` (the filter narrows further)."""
    p = scope.require()
    if p.role == "resident":
        return [("user", p.user_id), *([("resident", p.resident_id)] if p.resident_id else [])]
    if p.role == "department_staff":  # orders handed to the department lie under its region
        return [("region", p.region_id)] if p.region_id else []
    flt = scope.community_filter()
    if "communityId" in flt:
        return [("community", flt["communityId"])]
    if "regionPath" in flt:
        return [("region", flt["regionPath"])]
    return [ALL]


def socket_of(info: Ctx) -> tuple[Any, Any]:
    """The socket's realtime service and connection (subscriptions exist only on sockets)."""
    ctx = info.context
    conn = getattr(ctx, "connection", None)
    if conn is None:
        raise Unauthenticated("订阅需要通过 WebSocket 连接 (subscriptions are served over WebSocket on /graphql)")
    return ctx.realtime, conn


@strawberry.type(description="A work order was submitted, changed state or got a handling note.")
class WorkOrderUpdate:
    cursor: str = strawberry.field(description="Pass as `after` when resubscribing to resume after this event.")
    at: datetime
    action: str = strawberry.field(description="submit, accept, reject, assign, start, resolve, rate, cancel, "
                                               "auto_close, note…")
    previous_state: WorkOrderState | None
    work_order: WorkOrder

    @classmethod
    def of(cls, event: Event) -> WorkOrderUpdate:
        p = event.payload
        previous = p.get("previousState")
        return cls(cursor=event.cursor, at=event.created_at, action=p.get("action") or "submit",
                   previous_state=WorkOrderState(previous) if previous else None, work_order=WorkOrder.of(p["order"]))


@strawberry.type(description="A notification arrived for the viewer.")
class NotificationEvent:
    cursor: str
    at: datetime
    notification: Notification


@strawberry.type(description="The modules of the socket's community changed.")
class ModuleStateChange:
    cursor: str
    at: datetime
    community_id: strawberry.ID
    module: str = strawberry.field(description="The module that was switched or reconfigured.")
    change: str = strawberry.field(description="enabled, disabled, reset (back to the inherited decision) or "
                                               "settings.")
    enabled: bool = strawberry.field(description="Whether that module is enabled in this community now.")
    enabled_modules: list[str] = strawberry.field(description="Every module enabled in this community now.")


@strawberry.type
class RealtimeSubscription:
    @strawberry.subscription(description="Work orders the viewer may see, as they are submitted and handled.")
    async def work_order_updated(self, info: Ctx, after: str | None = None,
                                 id: strawberry.ID | None = None) -> AsyncGenerator[WorkOrderUpdate, None]:
        realtime, conn = socket_of(info)
        flt = WorkOrderService(info.context).visible_filter()
        if id is not None:
            flt = {"$and": [flt, {"_id": id}]}
        sub = realtime.hub.subscribe(WORK_ORDER, scope_routes(info.context.scope),
                                     lambda e: matches(flt, e.payload["order"]), after=after, owner=conn)
        try:
            async for event in sub.stream():
                info.context.fresh()
                yield WorkOrderUpdate.of(event)
        finally:
            sub.close()

    @strawberry.subscription(description="The viewer's notifications as they arrive (see myNotifications).")
    async def notification_received(self, info: Ctx, after: str | None = None) \
            -> AsyncGenerator[NotificationEvent, None]:
        realtime, conn = socket_of(info)
        user_id = info.context.scope.require().user_id
        sub = realtime.hub.subscribe(NOTIFICATION, [("user", user_id)],
                                     lambda e: e.payload["message"].get("recipientUserId") == user_id,
                                     after=after, owner=conn)
        try:
            async for event in sub.stream():
                yield NotificationEvent(cursor=event.cursor, at=event.created_at,
                                        notification=Notification.of(event.payload["message"]))
        finally:
            sub.close()

    @strawberry.subscription(description="The community's modules were switched on or off, or reconfigured.")
    async def module_state_changed(self, info: Ctx, after: str | None = None) \
            -> AsyncGenerator[ModuleStateChange, None]:
        realtime, conn = socket_of(info)
        community_id = conn.community_id
        if not community_id:
            raise BadUserInput({"X-Community-Id": "请在 connection_init 中选择社区 (choose a community: X-Community-Id "
                                                   "in the connection_init payload)"})
        sub = realtime.hub.subscribe(MODULE_STATE, [("region", r) for r in conn.community_path], lambda e: True,
                                     after=after, owner=conn)
        try:
            async for event in sub.stream():
                enabled = await realtime.module_set(community_id)
                module = event.payload["module"]
                yield ModuleStateChange(cursor=event.cursor, at=event.created_at, community_id=community_id,
                                        module=module, change=event.payload["change"], enabled=module in enabled,
                                        enabled_modules=sorted(enabled))
        finally:
            sub.close()
