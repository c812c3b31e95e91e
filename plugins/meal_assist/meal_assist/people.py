"""People around the canteen: staff accounts, enrolled diners with their guardians, and a
diner's subsidy position."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from community_plus_sdk import ConflictError, FieldErrors, ForbiddenError, ModuleContext, NotFoundError, UserInputError
from community_plus_sdk.relay import Page, paginate

from .common import ACCOUNTS, BUDGETS, CANTEENS, DINERS, STAFF, diner_for, key_id
from .manifest import ENROLL, MANAGE, SERVE
from .rules import Rules, entitlement, format_address, month_of

MAX_GUARDIANS = 5


# -- canteen staff ------------------------------------------------------------------------------


async def add_staff(ctx: ModuleContext, inp: Any) -> dict[str, Any]:
    """Register a user account as staff of one canteen (idempotent: re-adding re-activates)."""
    ctx.require_permission(MANAGE)
    problems = FieldErrors()
    name = problems.text("input.name", inp.name, max_length=30, required=True)
    phone = problems.text("input.phone", inp.phone, max_length=20)
    user_id = (inp.user_id or "").strip()
    if not user_id or len(user_id) > 64:
        problems.add("input.userId", "应为用户 id (must be a user id)")
    canteen = await ctx.collection(CANTEENS).find_one({"_id": inp.canteen_id})
    if canteen is None:
        problems.add("input.canteenId", "食堂不存在 (no such canteen)")
    problems.raise_if_any()
    staff = ctx.collection(STAFF)
    row_id = key_id(ctx.community_id or "", "staff", inp.canteen_id, user_id)
    values = {"canteenId": inp.canteen_id, "userId": user_id, "name": name, "phone": phone, "active": True}
    row = await staff.update({"_id": row_id}, values)
    if row is None:
        try:
            row = await staff.insert({"_id": row_id, **values, "createdBy": ctx.require_caller().user_id})
        except ConflictError:
            row = await staff.update({"_id": row_id}, values)
    await ctx.audit("add", "CanteenStaff", row, ["userId", "canteenId"])
    return row


async def remove_staff(ctx: ModuleContext, staff_id: str) -> dict[str, Any]:
    ctx.require_permission(MANAGE)
    row = await ctx.collection(STAFF).update({"_id": staff_id}, {"active": False})
    if row is None:
        raise NotFoundError("工作人员不存在 (staff member not found)")
    await ctx.audit("remove", "CanteenStaff", row, ["active"])
    return row


async def list_staff(ctx: ModuleContext, canteen_id: str | None) -> list[dict[str, Any]]:
    ctx.require_caller()
    if not (ctx.has_permission(MANAGE) or ctx.has_permission(SERVE)):
        raise ForbiddenError("仅管理员可查看 (administrators only)")
    query: dict[str, Any] = {"active": True}
    if canteen_id:
        query["canteenId"] = canteen_id
    return await ctx.collection(STAFF).find(query, sort=[("_id", 1)], limit=500)


# -- diners and guardians -------------------------------------------------------------------------


def _snapshot(record: dict[str, Any]) -> dict[str, Any]:
    """What ordering needs of a resident when a guardian (who cannot read the record) orders."""
    return {"name": record.get("name"), "birthDate": record.get("birthDate"), "tags": list(record.get("tags") or []),
            "gridId": record.get("gridId"), "address": format_address(record.get("address"))}


async def enroll_diner(ctx: ModuleContext, inp: Any) -> dict[str, Any]:
    """Enrol a resident for meal assistance, naming the family members who may order for them."""
    ctx.require_permission(ENROLL)
    problems = FieldErrors()
    record = await ctx.resident(inp.resident_id)
    if record is None:
        problems.add("input.residentId", "居民不存在或不在您的范围内 (no such resident in your scope)")
    guardians: list[str] = []
    if len(inp.guardian_resident_ids) > MAX_GUARDIANS:
        problems.add("input.guardianResidentIds", f"最多{MAX_GUARDIANS}人 (at most {MAX_GUARDIANS})")
    for i, gid in enumerate(inp.guardian_resident_ids[:MAX_GUARDIANS]):
        path = f"input.guardianResidentIds.{i}"
        if gid == inp.resident_id:
            problems.add(path, "不能监护自己 (a diner cannot be their own guardian)")
        elif gid in guardians:
            problems.add(path, "重复 (listed twice)")
        elif await ctx.resident(gid) is None:
            problems.add(path, "居民不存在或不在您的范围内 (no such resident in your scope)")
        guardians.append(gid)
    notes = problems.text("input.dietaryNotes", inp.dietary_notes, max_length=200)
    address = problems.text("input.deliveryAddress", inp.delivery_address, max_length=100)
    problems.raise_if_any()
    values = {"residentId": inp.resident_id, "guardianResidentIds": guardians, "dietaryNotes": notes,
              "deliveryAddress": address, "snapshot": _snapshot(record), "active": True}
    diners = ctx.collection(DINERS)
    row_id = key_id(ctx.community_id or "", "diner", inp.resident_id)
    row = await diners.update({"_id": row_id}, values)
    if row is None:
        try:
            row = await diners.insert({"_id": row_id, **values, "createdBy": ctx.require_caller().user_id})
        except ConflictError:
            row = await diners.update({"_id": row_id}, values)
    await ctx.audit("enroll", "MealDiner", row, ["guardianResidentIds", "dietaryNotes"])
    return row


async def withdraw_diner(ctx: ModuleContext, resident_id: str) -> dict[str, Any]:
    ctx.require_permission(ENROLL)
    if await ctx.resident(resident_id) is None:
        raise UserInputError({"residentId": "居民不存在或不在您的范围内 (no such resident in your scope)"})
    row = await ctx.collection(DINERS).update({"residentId": resident_id}, {"active": False})
    if row is None:
        raise NotFoundError("该居民未登记助餐 (the resident is not enrolled)")
    await ctx.audit("withdraw", "MealDiner", row, ["active"])
    return row


async def list_diners(ctx: ModuleContext, grid_id: str | None, first: int, after: str | None) -> Page:
    """Enrolled diners (staff); grid workers see those of their own grids (another grid's
    diners: an empty page)."""
    caller = ctx.require_caller()
    ctx.require_permission(ENROLL)
    query: dict[str, Any] = {"active": True}
    if caller.role == "grid_worker":
        allowed = list(caller.grid_ids)
        query["snapshot.gridId"] = grid_id if grid_id in allowed else {"$in": [] if grid_id else allowed}
    elif grid_id:
        query["snapshot.gridId"] = grid_id
    return await paginate(ctx.collection(DINERS), query, first, after)


async def my_diners(ctx: ModuleContext) -> list[dict[str, Any]]:
    """The caller's own enrolment and those of the diners they are guardian of."""
    caller = ctx.require_caller()
    if not caller.resident_id:
        return []
    return await ctx.collection(DINERS).find(
        {"active": True, "$or": [{"residentId": caller.resident_id}, {"guardianResidentIds": caller.resident_id}]},
        sort=[("_id", 1)], limit=50)


async def refresh_snapshot(ctx: ModuleContext, resident: dict[str, Any]) -> None:
    """Keep an enrolled diner's data current when the core reports a change (`on_event`)."""
    await ctx.collection(DINERS).update({"residentId": resident["_id"]}, {"snapshot": _snapshot(resident)})


def diner_view(row: dict[str, Any], rules: Rules, now: datetime) -> dict[str, Any]:
    snap = row.get("snapshot") or {}
    ent = entitlement(rules, snap.get("birthDate"), snap.get("tags"), rules.today(now))
    return {"id": row["_id"], "resident_id": row["residentId"], "name": snap.get("name"), "age": ent.age,
            "tags": [t.upper() for t in snap.get("tags") or []], "guardian_resident_ids": list(row.get("guardianResidentIds", [])),
            "dietary_notes": row.get("dietaryNotes"),
            "delivery_address": row.get("deliveryAddress") or snap.get("address"),
            "eligible": ent.eligible, "per_meal_subsidy_fen": ent.per_meal_fen, "active": bool(row.get("active"))}


# -- subsidy position ------------------------------------------------------------------------------


async def subsidy_status(ctx: ModuleContext, resident_id: str | None, month: str | None) -> dict[str, Any]:
    rules = Rules.of(await ctx.settings())
    today = rules.today(ctx.now())
    month = month or month_of(today)
    if (len(month) != 7 or month[4] != "-" or not (month[:4] + month[5:]).isdigit() or not 1 <= int(month[5:]) <= 12
            or not 1900 <= int(month[:4]) <= 2999):
        raise UserInputError({"month": "格式应为 YYYY-MM，年份在1900到2999之间 (expected YYYY-MM)"})
    diner = await diner_for(ctx, resident_id, path="residentId")
    ent = entitlement(rules, diner.birth, diner.tags, today)
    community = ctx.community_id or ""
    account = await ctx.collection(ACCOUNTS).find_one({"_id": key_id(community, "account", diner.resident_id, month)})
    budget = await ctx.collection(BUDGETS).find_one({"_id": key_id(community, "budget", month)})
    used = (account or {}).get("usedFen", 0)
    return {"resident_id": diner.resident_id, "month": month, "eligible": ent.eligible, "age": ent.age,
            "per_meal_subsidy_fen": ent.per_meal_fen, "monthly_cap_fen": rules.monthly_cap, "used_fen": used,
            "remaining_fen": max(0, rules.monthly_cap - used), "meals_ordered": (account or {}).get("mealCount", 0),
            "community_budget_fen": rules.monthly_budget, "community_spent_fen": (budget or {}).get("spentFen", 0)}
