"""The canteen's side of a meal order: serving eat-in and pick-up orders, handing delivery
orders to a grid worker of the diner's grid or a registered volunteer, and the deliverer
confirming the meal arrived. Each step is compare-and-set on the order's status, so of two
concurrent attempts one wins and the other is told the status it found."""

from __future__ import annotations

from typing import Any

from community_plus_sdk import ForbiddenError, ModuleContext, NotFoundError, UserInputError

from .common import ACTIVE_STATES, ORDERS, VOLUNTEERS, conflict, require_canteen_staff
from .order_access import order_for_write, wrong_state
from .rules import Rules, day_key, day_of


async def mark_served(ctx: ModuleContext, order_id: str) -> dict[str, Any]:
    """Eat-in and pick-up: PLACED → SERVED. Delivery: ASSIGNED → OUT_FOR_DELIVERY (handed over)."""
    order, _ = await order_for_write(ctx, order_id)
    await require_canteen_staff(ctx, order["canteenId"])
    rules = Rules.of(await ctx.settings())
    now = ctx.now()
    if rules.today(now) < day_of(order["date"]):
        raise conflict("还未到用餐日 (the meal is not today yet)", "NOT_MEAL_DAY")
    if order["orderType"] == "delivery":
        if order["status"] == "placed":
            raise conflict("请先指派配送人 (assign a deliverer first)", "NOT_ASSIGNED")
        before, after = "assigned", "out_for_delivery"
    else:
        before, after = "placed", "served"
    if order["status"] != before:
        raise wrong_state(order, "出餐 (serve)")
    row = await ctx.collection(ORDERS).update({"_id": order_id}, {"status": after, "servedAt": now,
                                                                  "servedBy": ctx.require_caller().user_id},
                                              expect={"status": before})
    if row is None:
        raise wrong_state(await ctx.collection(ORDERS).find_one({"_id": order_id}), "出餐 (serve)")
    if after == "out_for_delivery" and row["deliverer"].get("userId"):
        await ctx.notify([row["deliverer"]["userId"]], f"送餐：{row['dinerName'] or ''}", "待送达",
                         page=f"/pages/meal_assist/delivery?id={order_id}")
    return row


async def delivery_candidates(ctx: ModuleContext, order: dict[str, Any]) -> list[dict[str, Any]]:
    """Grid workers of the diner's grid, then active volunteers of the order's canteen or of none."""
    out = []
    if order.get("gridId"):
        for w in await ctx.grid_workers(order["gridId"]):
            out.append({"kind": "grid_worker", "id": w["_id"], "userId": w["_id"], "name": w.get("name"),
                        "phone": w.get("phone")})
    serving = {"active": True, "canteen_id": {"$in": [None, order.get("canteenId")]}}
    for v in await ctx.collection(VOLUNTEERS).find(serving, sort=[("_id", 1)], limit=200):
        out.append({"kind": "volunteer", "id": v["_id"], "residentId": v["resident"], "name": v["name"],
                    "phone": v.get("phone")})
    return out


async def candidates_for(ctx: ModuleContext, order_id: str) -> list[dict[str, Any]]:
    order = await ctx.collection(ORDERS).find_one({"_id": order_id})
    if order is None:
        raise NotFoundError("订单不存在 (order not found)")
    await require_canteen_staff(ctx, order["canteenId"])
    return await delivery_candidates(ctx, order)


async def assign_delivery(ctx: ModuleContext, order_id: str, kind: str, deliverer_id: str) -> dict[str, Any]:
    """Hand a delivery order to a grid worker of the diner's grid or a registered volunteer
    (re-assigning is allowed until it leaves the canteen)."""
    order, _ = await order_for_write(ctx, order_id)
    await require_canteen_staff(ctx, order["canteenId"])
    if order["orderType"] != "delivery":
        raise conflict("不是送餐订单 (not a delivery order)", "NOT_DELIVERY")
    if order["status"] not in ACTIVE_STATES:
        raise wrong_state(order, "指派 (assign)")
    match = next((c for c in await delivery_candidates(ctx, order)
                  if c["kind"] == kind and c["id"] == deliverer_id), None)
    if match is None:
        hint = ("不是该居民所在网格的网格员 (not a grid worker of the diner's grid)" if kind == "grid_worker"
                else "不是为本食堂送餐的在册志愿者 (not an active meal volunteer of this canteen)")
        raise UserInputError({"delivererId": hint})
    deliverer = {k: match.get(k) for k in ("kind", "id", "userId", "residentId", "name", "phone")}
    row = await ctx.collection(ORDERS).update(
        {"_id": order_id}, {"status": "assigned", "deliverer": deliverer, "assignedAt": ctx.now()},
        expect={"status": {"$in": list(ACTIVE_STATES)}})
    if row is None:
        raise wrong_state(await ctx.collection(ORDERS).find_one({"_id": order_id}), "指派 (assign)")
    await ctx.audit("assign_delivery", "MealOrder", row, ["deliverer"])
    if deliverer.get("userId"):
        await ctx.notify([deliverer["userId"]], f"送餐任务：{row['canteenName']}", "已指派",
                         page=f"/pages/meal_assist/delivery?id={order_id}")
    return row


async def confirm_delivered(ctx: ModuleContext, order_id: str) -> dict[str, Any]:
    """The deliverer (or canteen staff) confirms the meal reached the diner."""
    order, rel = await order_for_write(ctx, order_id)
    if not rel & {"deliverer", "canteen"}:
        raise ForbiddenError("仅配送人或食堂工作人员可确认送达 (only the deliverer or canteen staff)")
    if order["status"] != "out_for_delivery":
        raise wrong_state(order, "确认送达 (confirm)")
    row = await ctx.collection(ORDERS).update({"_id": order_id}, {"status": "delivered", "deliveredAt": ctx.now(),
                                                                  "deliveredBy": ctx.require_caller().user_id},
                                              expect={"status": "out_for_delivery"})
    if row is None:
        raise wrong_state(await ctx.collection(ORDERS).find_one({"_id": order_id}), "确认送达 (confirm)")
    return row


async def my_deliveries(ctx: ModuleContext, on: Any | None) -> list[dict[str, Any]]:
    caller = ctx.require_caller()
    who: list[dict[str, Any]] = [{"deliverer.userId": caller.user_id}]
    if caller.resident_id:
        who.append({"deliverer.residentId": caller.resident_id})
    query: dict[str, Any] = {"$or": who, "status": {"$in": ["assigned", "out_for_delivery", "delivered"]}}
    if on is not None:
        query["date"] = day_key(on)
    return await ctx.collection(ORDERS).find(query, sort=[("_id", -1)], limit=200)
