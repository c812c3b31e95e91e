"""One meal order as the caller may reach it: read (NOT_FOUND unless the caller is related to
it, so existence never leaks), or fetched for a change with the caller's relations to it
(diner, placer, guardian, agent, canteen, deliverer); and the CONFLICT of an order in the
wrong status, named as `MealOrderStatus` spells it."""

from __future__ import annotations

from typing import Any

from community_plus_sdk import ConflictError, ModuleContext, NotFoundError

from .common import ORDERS, conflict, relations

STATUS_TEXT = {"placed": "已下单", "assigned": "已派送", "out_for_delivery": "配送中", "served": "已就餐",
               "delivered": "已送达", "cancelled": "已取消"}


async def get_order(ctx: ModuleContext, order_id: str) -> tuple[dict[str, Any], set[str]]:
    """An order the caller is related to (NOT_FOUND otherwise: existence never leaks)."""
    order = await ctx.collection(ORDERS).find_one({"_id": order_id})
    if order is None:
        raise NotFoundError("订单不存在 (order not found)")
    rel = await relations(ctx, order)
    if not rel:
        raise NotFoundError("订单不存在 (order not found)")
    return order, rel


async def order_for_write(ctx: ModuleContext, order_id: str) -> tuple[dict[str, Any], set[str]]:
    order = await ctx.collection(ORDERS).find_one({"_id": order_id})
    if order is None:
        raise NotFoundError("订单不存在 (order not found)")
    return order, await relations(ctx, order)


def wrong_state(order: dict[str, Any], action: str) -> ConflictError:
    status = order["status"].upper()  # as MealOrderStatus spells it
    return conflict(f"订单当前为「{STATUS_TEXT.get(order['status'], status)}」，不能{action} (an order in state "
                    f"{status} cannot be {action}ed)", "WRONG_STATE", status=status)
