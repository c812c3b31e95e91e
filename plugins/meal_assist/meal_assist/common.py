"""Shared helpers: stable ids, refusals with reasons, who the caller is to a diner or canteen."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from community_plus_sdk import ConflictError, ForbiddenError, ModuleContext, NotFoundError, UserInputError

from .manifest import ON_BEHALF, SERVE
from .rules import Rules, format_address

CANTEENS, VOLUNTEERS = "canteens", "volunteers"
MENUS, ORDERS, ACCOUNTS, BUDGETS, REQUESTS, DINERS, STAFF = (
    "menus", "orders", "accounts", "budgets", "requests", "diners", "staff")
ACTIVE_STATES = ("placed", "assigned")  # an order that still holds a meal slot and can be cancelled
DONE_STATES = ("served", "out_for_delivery", "delivered")


def key_id(*parts: str) -> str:
    """A deterministic 24-hex id: used as `_id` where a row must be unique (no unique indexes
    are available to modules, the primary key is)."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]


def conflict(message: str, reason: str, **extra: Any) -> ConflictError:
    """A CONFLICT with a machine-readable `extensions.reason`."""
    return ConflictError(message, reason=reason, **extra)


def as_utc(value: datetime, rules: Rules) -> datetime:
    """An input date-time without an offset is the community's local time."""
    return value.replace(tzinfo=rules.tz) if value.tzinfo is None else value


async def is_canteen_staff(ctx: ModuleContext, canteen_id: str | None) -> bool:
    """Holders of the serve permission, or a registered staff member of this canteen."""
    caller = ctx.require_caller()
    if ctx.has_permission(SERVE):
        return True
    if not canteen_id:
        return False
    row = await ctx.collection(STAFF).find_one({"userId": caller.user_id, "canteenId": canteen_id, "active": True})
    return row is not None


async def require_canteen_staff(ctx: ModuleContext, canteen_id: str | None) -> None:
    if not await is_canteen_staff(ctx, canteen_id):
        raise ForbiddenError("仅该食堂工作人员可操作 (only staff of this canteen may do this)")


@dataclass
class Diner:
    """Whom a meal is for, as far as ordering needs to know."""

    resident_id: str
    name: str | None
    birth: Any
    tags: list[str]
    grid_id: str | None
    address: str | None
    dietary_notes: str | None = None
    on_behalf: bool = False
    relation: set[str] = field(default_factory=set)


def _from_record(record: dict[str, Any], enrollment: dict[str, Any] | None, on_behalf: bool) -> Diner:
    return Diner(resident_id=record["_id"], name=record.get("name"), birth=record.get("birthDate"),
                 tags=list(record.get("tags") or []), grid_id=record.get("gridId"),
                 address=(enrollment or {}).get("deliveryAddress") or format_address(record.get("address")),
                 dietary_notes=(enrollment or {}).get("dietaryNotes"), on_behalf=on_behalf)


def _from_enrollment(e: dict[str, Any]) -> Diner:
    snap = e.get("snapshot") or {}
    return Diner(resident_id=e["residentId"], name=snap.get("name"), birth=snap.get("birthDate"),
                 tags=list(snap.get("tags") or []), grid_id=snap.get("gridId"),
                 address=e.get("deliveryAddress") or snap.get("address"), dietary_notes=e.get("dietaryNotes"),
                 on_behalf=True)


async def enrollment_of(ctx: ModuleContext, resident_id: str) -> dict[str, Any] | None:
    return await ctx.collection(DINERS).find_one({"residentId": resident_id, "active": True})


async def diner_for(ctx: ModuleContext, resident_id: str | None, path: str = "input.residentId") -> Diner:
    """The diner the caller acts for: themselves, a ward they are a registered guardian of, or
    (staff with the on-behalf permission) any resident in their scope."""
    caller = ctx.require_caller()
    target = resident_id or caller.resident_id
    if not target:
        if caller.role == "resident":
            raise ForbiddenError("请先绑定居民身份 (bind your resident record first)")
        raise UserInputError({path: "代居民操作时需指定居民 (give the diner's resident id)"})
    enrollment = await enrollment_of(ctx, target)
    if caller.resident_id == target:
        record = await ctx.resident(target)
        if record is None:
            raise NotFoundError("居民不存在 (resident not found)")
        return _from_record(record, enrollment, on_behalf=False)
    if caller.role == "resident":
        if enrollment and caller.resident_id in enrollment.get("guardianResidentIds", []):
            return _from_enrollment(enrollment)
        raise ForbiddenError("您不是该居民登记的监护人 (you are not a registered guardian of this diner)")
    if ctx.has_permission(ON_BEHALF):
        record = await ctx.resident(target)
        if record is None:
            raise UserInputError({path: "居民不存在或不在您的范围内 (no such resident in your scope)"})
        return _from_record(record, enrollment, on_behalf=True)
    raise ForbiddenError("您不能代该居民操作 (you may not act for this resident)")


async def relations(ctx: ModuleContext, order: dict[str, Any]) -> set[str]:
    """How the caller relates to an order: diner, placer, guardian, agent, canteen, deliverer."""
    caller = ctx.require_caller()
    out: set[str] = set()
    if caller.resident_id and caller.resident_id == order["residentId"]:
        out.add("diner")
    if caller.user_id == order.get("placedBy"):
        out.add("placer")
    dv = order.get("deliverer") or {}
    if (dv.get("userId") and dv["userId"] == caller.user_id) or \
            (dv.get("residentId") and dv["residentId"] == caller.resident_id):
        out.add("deliverer")
    if caller.role == "resident" and not out & {"diner"}:
        enrollment = await enrollment_of(ctx, order["residentId"])
        if enrollment and caller.resident_id in enrollment.get("guardianResidentIds", []):
            out.add("guardian")
    if caller.role != "resident":
        if ctx.has_permission(ON_BEHALF) and await ctx.resident(order["residentId"]) is not None:
            out.add("agent")
        if await is_canteen_staff(ctx, order["canteenId"]):
            out.add("canteen")
    return out
