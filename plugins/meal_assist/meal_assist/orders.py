"""Meal orders: placing (subsidy deducted in the same transaction) and cancelling before the
cut-off (subsidy restored); serving and delivery are `serving.py`.

Scarce resources are counters changed only by compare-and-set inside `ctx.transaction`:
a menu's `orderedCount` (never above `capacity`), a diner's monthly `usedFen` (never above
the monthly cap), the community's monthly `spentFen` (never above the budget). A diner holds
at most one active order per menu (`activeMenus` in their monthly account).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from community_plus_sdk import (ConflictError, FieldErrors, ForbiddenError, ModuleContext, NotFoundError,
                                RetryTransaction, UserInputError)
from community_plus_sdk.relay import Page, paginate

from .common import (ACCOUNTS, ACTIVE_STATES, BUDGETS, CANTEENS, MENUS, ORDERS, REQUESTS, Diner, conflict, diner_for,
                     key_id)
from .order_access import STATUS_TEXT, get_order, order_for_write, wrong_state
from .rules import Grant, Rules, day_of, entitlement, grant, month_of
# the canteen's side moved to serving.py; its names stay importable from here
from .serving import assign_delivery, candidates_for, confirm_delivered, delivery_candidates, mark_served, my_deliveries

__all__ = ["CANCELLERS", "MAX_ITEMS", "STATUS_TEXT", "assign_delivery", "cancel_order", "candidates_for",
           "confirm_delivered", "delivery_candidates", "get_order", "mark_served", "my_deliveries", "my_orders",
           "place_order"]

MAX_ITEMS = 10
CANCELLERS = {"diner", "placer", "guardian", "agent"}


class _KeyTaken(Exception):
    """Another request with the same idempotency key committed first."""


def _fingerprint(inp: Any, resident_id: str | None) -> str:
    body = {"menu": inp.menu_id, "resident": resident_id, "type": inp.order_type.value,
            "items": sorted((str(i.dish_id), i.quantity) for i in inp.items),
            "address": (inp.delivery_address or "").strip()}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _check_input(inp: Any, rules: Rules) -> FieldErrors:
    problems = FieldErrors()
    problems.idempotency_key("input.idempotencyKey", inp.idempotency_key)  # the one rule of core and modules
    if not inp.items:
        problems.add("input.items", "至少选择一道菜 (choose at least one dish)")
    elif len(inp.items) > MAX_ITEMS:
        problems.add("input.items", f"最多{MAX_ITEMS}道菜 (at most {MAX_ITEMS} dishes)")
    seen = set()
    for i, item in enumerate(inp.items or []):
        if not 1 <= item.quantity <= rules.max_quantity:
            problems.add(f"input.items.{i}.quantity",
                         f"每道菜1到{rules.max_quantity}份 (1–{rules.max_quantity} portions per dish)")
        if item.dish_id in seen:
            problems.add(f"input.items.{i}.dishId", "菜品重复 (dish listed twice)")
        seen.add(item.dish_id)
    problems.text("input.deliveryAddress", inp.delivery_address, max_length=100)
    problems.text("input.note", inp.note, max_length=200)
    return problems


async def _ensure(ctx: ModuleContext, name: str, row_id: str, row: dict[str, Any]) -> None:
    """Create a counter row once (its id is deterministic, so racing creators are harmless).
    Done before the transaction: a duplicate-key error would abort it."""
    coll = ctx.collection(name)
    if await coll.find_one({"_id": row_id}) is None:
        try:
            await coll.insert({"_id": row_id, **row})
        except ConflictError:
            pass


async def _replay(ctx: ModuleContext, request: dict[str, Any], fingerprint: str) -> dict[str, Any]:
    if request["fingerprint"] != fingerprint:
        raise conflict("该幂等键已用于另一笔订单 (this idempotency key was used for a different order)",
                       "IDEMPOTENCY_KEY_REUSED")
    order = await ctx.collection(ORDERS).find_one({"_id": request["orderId"]})
    if order is None:  # cannot happen: both rows commit together
        raise NotFoundError("订单不存在 (order not found)")
    return order


def _price(menu: dict[str, Any], inp: Any, problems: FieldErrors) -> tuple[list[dict[str, Any]], int]:
    dishes = {d["id"]: d for d in menu["dishes"]}
    lines, total = [], 0
    for i, item in enumerate(inp.items):
        dish = dishes.get(str(item.dish_id))
        if dish is None:
            problems.add(f"input.items.{i}.dishId", "菜单上没有这道菜 (no such dish on this menu)")
            continue
        lines.append({"dishId": dish["id"], "name": dish["name"], "quantity": item.quantity,
                      "unitPriceFen": dish["priceFen"]})
        total += dish["priceFen"] * item.quantity
    return lines, total


async def place_order(ctx: ModuleContext, inp: Any) -> dict[str, Any]:
    """Place a meal order; returns the existing order when the idempotency key was seen."""
    caller = ctx.require_caller()
    rules = Rules.of(await ctx.settings())
    _check_input(inp, rules).raise_if_any()
    fingerprint = _fingerprint(inp, inp.resident_id or caller.resident_id)
    request_id = key_id(ctx.community_id or "", "request", caller.user_id, inp.idempotency_key) \
        if inp.idempotency_key else None
    if request_id:
        seen = await ctx.collection(REQUESTS).find_one({"_id": request_id})
        if seen is not None:
            return await _replay(ctx, seen, fingerprint)

    menu = await ctx.collection(MENUS).find_one({"_id": inp.menu_id})
    if menu is None:
        raise UserInputError({"input.menuId": "菜单不存在 (no such menu)"})
    diner = await diner_for(ctx, inp.resident_id)
    problems = FieldErrors()
    lines, meal_price = _price(menu, inp, problems)
    order_type = inp.order_type.value
    canteen = await ctx.collection(CANTEENS).find_one({"_id": menu["canteenId"]})
    address = None
    if order_type == "delivery":
        if canteen is not None and not canteen.get("delivery_available", True):
            problems.add("input.orderType", "该食堂不提供送餐 (this canteen does not deliver)")
        address = (inp.delivery_address or "").strip() or diner.address
        if not address:
            problems.add("input.deliveryAddress", "送餐需填写地址 (delivery needs an address)")
    problems.raise_if_any()
    if canteen is None or not canteen.get("active", True):
        raise conflict("食堂已停用 (the canteen is inactive)", "CANTEEN_INACTIVE")
    meal_date = day_of(menu["date"])
    ent = entitlement(rules, diner.birth, diner.tags, meal_date)
    if not ent.eligible and not rules.open_to_all:
        raise ForbiddenError("该居民不符合助餐条件 (the diner is not eligible for meal assistance)",
                             reason="NOT_ELIGIBLE")
    month = month_of(meal_date)
    community = ctx.community_id or ""
    account_id = key_id(community, "account", diner.resident_id, month)
    budget_id = key_id(community, "budget", month)
    await _ensure(ctx, ACCOUNTS, account_id, {"residentId": diner.resident_id, "month": month, "usedFen": 0,
                                             "mealCount": 0, "activeMenus": {}})
    await _ensure(ctx, BUDGETS, budget_id, {"month": month, "spentFen": 0, "budgetFen": rules.monthly_budget})
    delivery_fee = rules.delivery_fee if order_type == "delivery" else 0

    async def work(tx: ModuleContext) -> dict[str, Any]:
        if request_id:
            seen = await tx.collection(REQUESTS).find_one({"_id": request_id})
            if seen is not None:
                return {"replay": seen}
        menus, accounts, budgets = tx.collection(MENUS), tx.collection(ACCOUNTS), tx.collection(BUDGETS)
        m = await menus.find_one({"_id": menu["_id"]})
        if m["status"] != "open":
            raise conflict("该餐已停止点餐 (this menu is closed for orders)", "MENU_CLOSED")
        if ctx.now() >= m["cutoffAt"]:
            raise conflict("已过点餐截止时间 (the order cut-off has passed)", "CUTOFF_PASSED",
                           cutoffAt=m["cutoffAt"].isoformat())
        if m["orderedCount"] >= m["capacity"]:
            raise conflict("本餐已订满 (this meal is fully booked)", "CAPACITY_FULL")
        account = await accounts.find_one({"_id": account_id})
        if (account.get("activeMenus") or {}).get(menu["_id"]):
            raise conflict("该居民已订过这一餐 (the diner already has an order for this meal)", "ALREADY_ORDERED",
                           orderId=account["activeMenus"][menu["_id"]])
        budget = await budgets.find_one({"_id": budget_id})
        g = grant(rules, ent.per_meal_fen, meal_price, account["usedFen"], budget["spentFen"])
        if g.limited_by and not inp.accept_reduced_subsidy:
            raise _subsidy_refusal(g)
        order = await tx.collection(ORDERS).insert(_order_doc(tx, menu, m, diner, order_type, lines, meal_price,
                                                              delivery_fee, g, address, inp))
        if request_id:
            try:
                await tx.collection(REQUESTS).insert({"_id": request_id, "orderId": order["_id"],
                                                      "fingerprint": fingerprint, "userId": caller.user_id})
            except ConflictError:
                raise _KeyTaken() from None
        taken = await menus.update({"_id": m["_id"]}, {}, inc={"orderedCount": 1}, expect={
            "status": "open", "capacity": m["capacity"], "orderedCount": {"$lt": m["capacity"]}})
        if taken is None:
            raise RetryTransaction()
        acct_expect: dict[str, Any] = {f"activeMenus.{m['_id']}": None}
        if g.fen:
            acct_expect["usedFen"] = {"$lte": rules.monthly_cap - g.fen}
        if await accounts.update({"_id": account_id}, {f"activeMenus.{m['_id']}": order["_id"]},
                                 inc={"usedFen": g.fen, "mealCount": 1}, expect=acct_expect) is None:
            raise RetryTransaction()
        if g.fen and await budgets.update({"_id": budget_id}, {"budgetFen": rules.monthly_budget},
                                          inc={"spentFen": g.fen},
                                          expect={"spentFen": {"$lte": rules.monthly_budget - g.fen}}) is None:
            raise RetryTransaction()
        if diner.on_behalf:
            await tx.audit("place_order", "MealOrder", order, ["residentId", "subsidyFen"])
        return {"order": order}

    try:
        result = await ctx.transaction(work)
    except _KeyTaken:
        seen = await ctx.collection(REQUESTS).find_one({"_id": request_id})
        if seen is None:
            raise conflict("请求处理中，请稍后重试 (the same request is in progress: retry)", "RETRY") from None
        return await _replay(ctx, seen, fingerprint)
    if "replay" in result:
        return await _replay(ctx, result["replay"], fingerprint)
    return result["order"]


def _subsidy_refusal(g: Grant) -> ConflictError:
    if g.limited_by == "BUDGET_EXHAUSTED":
        msg = "本月社区助餐补贴预算不足 (the community's subsidy budget for this month is used up)"
    else:
        msg = "本月个人补贴额度不足 (the diner's monthly subsidy cap is reached)"
    return conflict(msg + "；可选择按减少的补贴下单 (order with acceptReducedSubsidy to pay more)", g.limited_by,
                    entitledFen=g.wanted, availableFen=g.fen)


def _order_doc(tx: ModuleContext, menu: dict[str, Any], m: dict[str, Any], diner: Diner, order_type: str,
               lines: list[dict[str, Any]], meal_price: int, delivery_fee: int, g: Grant, address: str | None,
               inp: Any) -> dict[str, Any]:
    caller = tx.require_caller()
    total = meal_price + delivery_fee
    return {"menuId": m["_id"], "canteenId": m["canteenId"], "canteenName": m["canteenName"], "date": m["date"],
            "meal": m["meal"], "month": month_of(day_of(m["date"])), "residentId": diner.resident_id,
            "dinerName": diner.name, "gridId": diner.grid_id, "orderType": order_type, "status": "placed",
            "items": lines, "mealPriceFen": meal_price, "deliveryFeeFen": delivery_fee, "totalFen": total,
            "subsidyFen": g.fen, "payFen": total - g.fen, "subsidyLimitedBy": g.limited_by,
            "onBehalf": diner.on_behalf, "placedBy": caller.user_id, "placedByRole": caller.role,
            "deliveryAddress": address, "note": (inp.note or "").strip() or None, "dietaryNotes": diner.dietary_notes,
            "deliverer": None, "cutoffAt": m["cutoffAt"]}


async def cancel_order(ctx: ModuleContext, order_id: str, reason: str | None) -> dict[str, Any]:
    """Cancel before the cut-off: frees the meal slot and restores the subsidy, atomically."""
    caller = ctx.require_caller()
    problems = FieldErrors()
    reason = problems.text("reason", reason, max_length=100)
    problems.raise_if_any()
    order, rel = await order_for_write(ctx, order_id)
    if not rel & CANCELLERS:
        raise ForbiddenError("您不能取消该订单 (you may not cancel this order)")
    if order["status"] not in ACTIVE_STATES:
        raise wrong_state(order, "取消 (cancel)")
    community = ctx.community_id or ""
    account_id = key_id(community, "account", order["residentId"], order["month"])
    budget_id = key_id(community, "budget", order["month"])

    async def work(tx: ModuleContext) -> dict[str, Any]:
        o = await tx.collection(ORDERS).find_one({"_id": order_id})
        if o["status"] not in ACTIVE_STATES:
            raise wrong_state(o, "取消 (cancel)")
        m = await tx.collection(MENUS).find_one({"_id": o["menuId"]})
        now = ctx.now()
        if now >= m["cutoffAt"]:
            raise conflict("已过截止时间，不能取消 (past the cut-off: it can no longer be cancelled)",
                           "CUTOFF_PASSED", cutoffAt=m["cutoffAt"].isoformat())
        done = await tx.collection(ORDERS).update(
            {"_id": order_id}, {"status": "cancelled", "cancelledAt": now, "cancelledBy": caller.user_id,
                                "cancelReason": reason}, expect={"status": o["status"], "version": o["version"]})
        if done is None:
            raise RetryTransaction()
        await tx.collection(MENUS).update({"_id": o["menuId"]}, {}, inc={"orderedCount": -1})
        await tx.collection(ACCOUNTS).update({"_id": account_id}, {f"activeMenus.{o['menuId']}": None},
                                             inc={"usedFen": -o["subsidyFen"], "mealCount": -1})
        if o["subsidyFen"]:
            await tx.collection(BUDGETS).update({"_id": budget_id}, {}, inc={"spentFen": -o["subsidyFen"]})
        if rel & {"agent"} and not rel & {"diner", "placer"}:
            await tx.audit("cancel_order", "MealOrder", done, ["status"])
        if (o.get("deliverer") or {}).get("userId"):  # an assigned grid worker need not come
            await tx.notify([o["deliverer"]["userId"]], f"送餐取消：{o.get('dinerName') or ''}", "已取消",
                            page=f"/pages/meal_assist/delivery?id={order_id}")
        return done

    return await ctx.transaction(work)


async def my_orders(ctx: ModuleContext, status: str | None, first: int, after: str | None) -> Page:
    """Orders for the caller as diner, or placed by the caller (for wards or as staff)."""
    caller = ctx.require_caller()
    mine: list[dict[str, Any]] = [{"placedBy": caller.user_id}]
    if caller.resident_id:
        mine.append({"residentId": caller.resident_id})
    query: dict[str, Any] = {"$or": mine}
    if status:
        query["status"] = status
    return await paginate(ctx.collection(ORDERS), query, first, after)
