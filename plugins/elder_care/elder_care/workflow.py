"""Order states and transitions. Each transition is a compare-and-set on the order's state
and version that also appends to its timeline, so a lost race answers CONFLICT."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from community_plus_sdk import Caller, ConflictError, ScopedCollection

PLACED, DISPATCHED, IN_SERVICE, COMPLETED, CONFIRMED, CANCELLED = (
    "placed", "dispatched", "in_service", "completed", "confirmed", "cancelled")
STATES = [PLACED, DISPATCHED, IN_SERVICE, COMPLETED, CONFIRMED, CANCELLED]
OPEN = (PLACED, DISPATCHED)  # not started: may be cancelled, may become overdue
ACTIVE = (PLACED, DISPATCHED, IN_SERVICE)  # the slot is still taken
STATE_TITLES = {PLACED: "待派单", DISPATCHED: "已派单", IN_SERVICE: "服务中", COMPLETED: "待确认",
                CONFIRMED: "已完成", CANCELLED: "已取消"}


def event(caller: Caller | None, action: str, before: str | None, after: str | None, at: datetime,
          note: str | None = None) -> dict[str, Any]:
    return {"at": at, "action": action, "from": before, "to": after, "note": note,
            "actorId": caller.user_id if caller else "system", "actorRole": caller.role if caller else "system",
            "actorName": caller.name if caller else "系统"}


def state_conflict(state: str, action: str) -> ConflictError:
    """CONFLICT naming the state as CareOrderState spells it (`IN_SERVICE`)."""
    return ConflictError(f"订单当前为「{STATE_TITLES.get(state, state)}」，不能执行此操作 "
                         f"(cannot {action} an order in state {state.upper()})", state=state.upper())


async def transition(orders: ScopedCollection, order: dict[str, Any], caller: Caller | None, action: str,
                     to_state: str, changes: dict[str, Any], at: datetime, note: str | None = None) -> dict[str, Any]:
    """Move `order` (as read) to `to_state`; CONFLICT when it changed meanwhile."""
    timeline = [*order.get("timeline", []), event(caller, action, order["state"], to_state, at, note)]
    updated = await orders.update({"_id": order["_id"]}, {**changes, "state": to_state, "timeline": timeline},
                                  expect={"version": order["version"], "state": order["state"]})
    if updated is None:
        current = await orders.find_one({"_id": order["_id"]})
        state = current["state"] if current else "unknown"
        raise ConflictError(f"订单已被他人处理，当前为「{STATE_TITLES.get(state, state)}」 "
                            f"(the order changed meanwhile; it is now {state.upper()})", state=state.upper())
    return updated
