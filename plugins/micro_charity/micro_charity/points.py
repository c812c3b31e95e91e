"""Points: per-resident accounts that never go negative, a ledger entry for every change,
the community's points catalogue (a declarative model) and redemptions of its items."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry

from community_plus_sdk import ConflictError, FieldErrors, ForbiddenError, Model, ModuleContext, NotFoundError, fields
from community_plus_sdk.clock import clock, new_id
from community_plus_sdk.relay import Connection, connection, paginate

from .common import claim_key, context, require_resident, with_key
from .manifest import CATALOGUE_MANAGE, POINTS_ADJUST, POINTS_VIEW, REDEMPTION_HANDLE

# ledger kinds; `earned` counts volunteer/wish/adjustment changes, `spent` redemptions net of refunds
VOLUNTEER, WISH, REDEMPTION, REFUND, ADJUSTMENT = "volunteer", "wish", "redemption", "refund", "adjustment"


class CharityCatalogueItem(Model):
    """积分兑换目录中的物品 (an item residents redeem with points)"""

    class Meta:
        collection = "catalogue_items"
        permissions = {"read": ["resident", "grid_worker", "community_admin"],
                       "create": [CATALOGUE_MANAGE], "update": [CATALOGUE_MANAGE], "delete": [CATALOGUE_MANAGE]}

    name = fields.String(required=True, max_length=40, description="物品名称")
    description = fields.Text(max_length=500, description="物品说明")
    points_cost = fields.Integer(required=True, min=1, max=100000, description="每件所需积分")
    stock = fields.Integer(required=True, min=0, max=100000, description="库存")
    photo = fields.Image()
    active = fields.Boolean(default=True, filter=True, description="上架中")


# -- accounts and the ledger ------------------------------------------------------------------------

def account_id(ctx: ModuleContext, resident_id: str) -> str:
    return f"acct:{ctx.community_id}:{resident_id}"


async def ensure_account(ctx: ModuleContext, resident_id: str) -> str:
    """Create the resident's account when missing (call before a transaction that uses it)."""
    accounts = ctx.collection("accounts")
    aid = account_id(ctx, resident_id)
    if await accounts.find_one({"_id": aid}) is None:
        try:
            await accounts.insert({"_id": aid, "residentId": resident_id, "balance": 0, "earned": 0, "spent": 0,
                                   "volunteerHours": 0.0})
        except ConflictError:
            pass  # created concurrently
    return aid


async def post_entry(tx: ModuleContext, resident_id: str, delta: int, kind: str, note: str,
                     ref_id: str | None = None, hours: float = 0.0) -> dict[str, Any]:
    """Inside a transaction: change the balance by `delta` and write the ledger entry.
    A debit larger than the balance is refused (CONFLICT, reason INSUFFICIENT_POINTS)."""
    accounts = tx.collection("accounts")
    if delta == 0 and not hours:  # nothing changes, nothing to explain
        return await accounts.find_one({"_id": account_id(tx, resident_id)}) or {}
    inc: dict[str, Any] = {"balance": delta}
    if kind in (REDEMPTION, REFUND):
        inc["spent"] = -delta
    else:
        inc["earned"] = delta
    if hours:
        inc["volunteerHours"] = hours
    expect = {"balance": {"$gte": -delta}} if delta < 0 else None
    account = await accounts.update({"_id": account_id(tx, resident_id)}, {}, expect=expect, inc=inc)
    if account is None:
        raise ConflictError("积分不足 (not enough points)", reason="INSUFFICIENT_POINTS")
    await tx.collection("ledger").insert({"residentId": resident_id, "delta": delta, "balanceAfter": account["balance"],
                                          "kind": kind, "note": note, "refId": ref_id, "hours": hours or None})
    return account


# -- GraphQL types ----------------------------------------------------------------------------------

@strawberry.enum(description="积分变动类型 (kind of points change)")
class CharityLedgerKind(Enum):
    VOLUNTEER = VOLUNTEER
    WISH = WISH
    REDEMPTION = REDEMPTION
    REFUND = REFUND
    ADJUSTMENT = ADJUSTMENT


@strawberry.type(description="居民的积分账户 (a resident's points account)")
class CharityPointsAccount:
    resident_id: strawberry.ID
    balance: int
    earned: int
    spent: int
    volunteer_hours: float

    @classmethod
    def of(cls, resident_id: str, row: dict[str, Any] | None) -> CharityPointsAccount:
        row = row or {}
        return cls(resident_id=resident_id, balance=row.get("balance", 0), earned=row.get("earned", 0),
                   spent=row.get("spent", 0), volunteer_hours=float(row.get("volunteerHours", 0.0)))


@strawberry.type(description="一条积分流水 (one ledger entry; the balance after it)")
class CharityLedgerEntry:
    id: strawberry.ID
    delta: int
    balance_after: int
    kind: CharityLedgerKind
    note: str
    ref_id: strawberry.ID | None
    hours: float | None
    created_at: datetime

    @classmethod
    def of(cls, row: dict[str, Any]) -> CharityLedgerEntry:
        return cls(id=row["_id"], delta=row["delta"], balance_after=row["balanceAfter"],
                   kind=CharityLedgerKind(row["kind"]), note=row.get("note") or "", ref_id=row.get("refId"),
                   hours=row.get("hours"), created_at=row["createdAt"])


@strawberry.enum
class CharityRedemptionState(Enum):
    PENDING = "pending"
    HANDED_OVER = "handed_over"
    CANCELLED = "cancelled"


@strawberry.type(description="一次积分兑换 (a redemption of a catalogue item)")
class CharityRedemption:
    id: strawberry.ID
    item_id: strawberry.ID
    item_name: str
    quantity: int
    points_spent: int
    state: CharityRedemptionState
    resident_name: str | None
    created_at: datetime
    handed_over_at: datetime | None
    cancelled_at: datetime | None

    @classmethod
    def of(cls, row: dict[str, Any]) -> CharityRedemption:
        return cls(id=row["_id"], item_id=row["itemId"], item_name=row["itemName"], quantity=row["quantity"],
                   points_spent=row["pointsSpent"], state=CharityRedemptionState(row["state"]),
                   resident_name=row.get("residentName"), created_at=row["createdAt"],
                   handed_over_at=row.get("handedOverAt"), cancelled_at=row.get("cancelledAt"))


# -- queries and mutations ----------------------------------------------------------------------------

async def _visible_resident(ctx: ModuleContext, resident_id: str) -> dict[str, Any]:
    resident = await ctx.resident(resident_id)
    if resident is None:
        raise NotFoundError("居民不存在或不在您的范围内 (no such resident in your scope)")
    return resident


@strawberry.type
class CharityPointsQuery:
    @strawberry.field(description="我的积分账户 (the calling resident's points)")
    async def my_charity_points(self, info: strawberry.Info) -> CharityPointsAccount:
        ctx = context(info)
        caller = require_resident(ctx)
        row = await ctx.collection("accounts").find_one({"_id": account_id(ctx, caller.resident_id)})
        return CharityPointsAccount.of(caller.resident_id, row)

    @strawberry.field(description="我的积分流水，新的在前 (my ledger, newest first)")
    async def my_charity_ledger(self, info: strawberry.Info, first: int = 20, after: str | None = None) -> Connection[CharityLedgerEntry]:
        ctx = context(info)
        caller = require_resident(ctx)
        page = await paginate(ctx.collection("ledger"), {"residentId": caller.resident_id}, first, after)
        return connection(page, CharityLedgerEntry.of)

    @strawberry.field(description="某居民的积分账户（工作人员） (a resident's points, for staff)")
    async def charity_points_account(self, info: strawberry.Info, resident_id: strawberry.ID) -> CharityPointsAccount:
        ctx = context(info)
        ctx.require_permission(POINTS_VIEW)
        await _visible_resident(ctx, resident_id)
        row = await ctx.collection("accounts").find_one({"_id": account_id(ctx, resident_id)})
        return CharityPointsAccount.of(resident_id, row)

    @strawberry.field(description="某居民的积分流水（工作人员） (a resident's ledger, for staff)")
    async def charity_points_ledger(self, info: strawberry.Info, resident_id: strawberry.ID, first: int = 20,
                                    after: str | None = None) -> Connection[CharityLedgerEntry]:
        ctx = context(info)
        ctx.require_permission(POINTS_VIEW)
        await _visible_resident(ctx, resident_id)
        page = await paginate(ctx.collection("ledger"), {"residentId": resident_id}, first, after)
        return connection(page, CharityLedgerEntry.of)

    @strawberry.field(description="我的兑换记录 (my redemptions)")
    async def my_charity_redemptions(self, info: strawberry.Info, first: int = 20,
                                     after: str | None = None) -> Connection[CharityRedemption]:
        ctx = context(info)
        caller = require_resident(ctx)
        page = await paginate(ctx.collection("redemptions"), {"residentId": caller.resident_id},
                              first, after)
        return connection(page, CharityRedemption.of)

    @strawberry.field(description="社区的兑换记录（发放物品的工作人员） (redemptions to hand over, for staff)")
    async def charity_redemptions(self, info: strawberry.Info, state: CharityRedemptionState | None = None,
                                  first: int = 20, after: str | None = None) -> Connection[CharityRedemption]:
        ctx = context(info)
        ctx.require_permission(REDEMPTION_HANDLE)
        query = {"state": state.value} if state else {}
        page = await paginate(ctx.collection("redemptions"), query, first, after)
        return connection(page, CharityRedemption.of)


async def _load_redemption(ctx: ModuleContext, rid: str) -> CharityRedemption:
    row = await ctx.collection("redemptions").find_one({"_id": rid})
    if row is None:
        raise NotFoundError("兑换记录不存在 (no such redemption)")
    return CharityRedemption.of(row)


async def _item_problem(tx: ModuleContext, item_id: str, cost: int) -> Exception:
    """Why a redemption could not take the item (read inside the transaction)."""
    item = await tx.collection("catalogue_items").find_one({"_id": item_id})
    if item is None:
        return NotFoundError("物品不存在 (no such item)")
    if not item.get("active", True):
        return ConflictError("物品已下架 (the item is no longer offered)", reason="ITEM_INACTIVE")
    if item["points_cost"] != cost:
        return ConflictError("物品积分已调整，请刷新 (the price changed: reload)", reason="PRICE_CHANGED")
    return ConflictError(f"库存不足，仅剩{item['stock']}件 (out of stock: {item['stock']} left)", reason="OUT_OF_STOCK")


@strawberry.type
class CharityPointsMutation:
    @strawberry.mutation(description="用积分兑换物品；同一幂等键重试返回同一结果 (redeem an item; retries with the same "
                                     "idempotencyKey return the first result)")
    async def redeem_charity_item(self, info: strawberry.Info, item_id: strawberry.ID, quantity: int = 1,
                                  idempotency_key: str | None = None) -> CharityRedemption:
        ctx = context(info)
        caller = require_resident(ctx)
        check = FieldErrors()
        check.value("quantity", fields.Integer(min=1, max=10), quantity)
        check.idempotency_key("idempotencyKey", idempotency_key)
        check.raise_if_any()
        item = await ctx.collection("catalogue_items").find_one({"_id": item_id})
        if item is None:
            raise NotFoundError("物品不存在 (no such item)")
        unit_cost = item["points_cost"]
        await ensure_account(ctx, caller.resident_id)
        rid = new_id()
        payload = {"itemId": item_id, "quantity": quantity}

        async def write(tx: ModuleContext) -> CharityRedemption:
            await claim_key(tx, "redeem", idempotency_key, payload, rid)
            taken = await tx.collection("catalogue_items").update(
                {"_id": item_id}, {}, expect={"active": True, "points_cost": unit_cost, "stock": {"$gte": quantity}},
                inc={"stock": -quantity})
            if taken is None:
                raise await _item_problem(tx, item_id, unit_cost)
            cost = unit_cost * quantity
            await post_entry(tx, caller.resident_id, -cost, REDEMPTION, f"兑换 {item['name']} ×{quantity}", rid)
            row = await tx.collection("redemptions").insert({
                "_id": rid, "residentId": caller.resident_id, "residentName": caller.name, "userId": caller.user_id,
                "itemId": item_id, "itemName": item["name"], "quantity": quantity, "pointsSpent": cost,
                "state": "pending"})
            await tx.audit("redeem", "Redemption", row, ["itemId", "quantity", "pointsSpent"])
            return CharityRedemption.of(row)

        return await with_key(ctx, "redeem", idempotency_key, payload, lambda: ctx.transaction(write),
                              lambda result_id: _load_redemption(ctx, result_id))

    @strawberry.mutation(description="取消未领取的兑换，退回积分和库存 (cancel a pending redemption: points and stock return)")
    async def cancel_charity_redemption(self, info: strawberry.Info, id: strawberry.ID) -> CharityRedemption:
        ctx = context(info)
        caller = ctx.require_caller()
        row = await ctx.collection("redemptions").find_one({"_id": id})
        if row is None:
            raise NotFoundError("兑换记录不存在 (no such redemption)")
        mine = caller.role == "resident" and row["residentId"] == caller.resident_id
        if not (mine or ctx.has_permission(REDEMPTION_HANDLE)):
            raise ForbiddenError("只能取消自己的兑换 (you may cancel only your own redemptions)")
        await ensure_account(ctx, row["residentId"])

        async def write(tx: ModuleContext) -> CharityRedemption:
            done = await tx.collection("redemptions").update(
                {"_id": id}, {"state": "cancelled", "cancelledAt": clock.now(), "cancelledBy": caller.user_id},
                expect={"state": "pending"})
            if done is None:
                raise ConflictError("只能取消未领取的兑换 (only pending redemptions can be cancelled)",
                                    reason="WRONG_STATE")
            await tx.collection("catalogue_items").update({"_id": row["itemId"]}, {}, inc={"stock": row["quantity"]})
            await post_entry(tx, row["residentId"], row["pointsSpent"], REFUND, f"取消兑换 {row['itemName']}", id)
            await tx.audit("cancel_redemption", "Redemption", done, ["state"])
            return CharityRedemption.of(done)

        return await ctx.transaction(write)

    @strawberry.mutation(description="发放兑换物品（工作人员） (hand a redeemed item over, for staff)")
    async def hand_over_charity_redemption(self, info: strawberry.Info, id: strawberry.ID) -> CharityRedemption:
        ctx = context(info)
        ctx.require_permission(REDEMPTION_HANDLE)
        redemptions = ctx.collection("redemptions")
        done = await redemptions.update({"_id": id}, {"state": "handed_over", "handedOverAt": clock.now(),
                                                      "handedOverBy": ctx.caller.user_id}, expect={"state": "pending"})
        if done is None:
            if await redemptions.find_one({"_id": id}) is None:
                raise NotFoundError("兑换记录不存在 (no such redemption)")
            raise ConflictError("该兑换已发放或已取消 (already handed over or cancelled)", reason="WRONG_STATE")
        await ctx.audit("hand_over", "Redemption", done, ["state"])
        await ctx.notify([done["userId"]], f"兑换的{done['itemName']}已发放", "已发放", "/pages/micro_charity/points")
        return CharityRedemption.of(done)

    @strawberry.mutation(description="调整居民积分，正数增加、负数扣减，余额不能为负 (adjust a resident's points; "
                                     "the balance never goes negative)")
    async def adjust_charity_points(self, info: strawberry.Info, resident_id: strawberry.ID, delta: int, reason: str,
                                    idempotency_key: str | None = None) -> CharityPointsAccount:
        ctx = context(info)
        ctx.require_permission(POINTS_ADJUST)
        check = FieldErrors()
        check.value("delta", fields.Integer(min=-100000, max=100000), delta)
        if delta == 0:
            check.add("delta", "不能为0 (must not be 0)")
        reason = check.value("reason", fields.String(required=True, max_length=100), reason, required=True)
        check.idempotency_key("idempotencyKey", idempotency_key)
        check.raise_if_any()
        await _visible_resident(ctx, resident_id)
        await ensure_account(ctx, resident_id)
        entry_id = new_id()
        payload = {"residentId": resident_id, "delta": delta, "reason": reason}

        async def write(tx: ModuleContext) -> CharityPointsAccount:
            await claim_key(tx, "adjust", idempotency_key, payload, entry_id)
            account = await post_entry(tx, resident_id, delta, ADJUSTMENT, reason, entry_id)
            await tx.audit("adjust_points", "PointsAccount", account, ["balance"])
            return CharityPointsAccount.of(resident_id, account)

        async def replay(_: str) -> CharityPointsAccount:
            row = await ctx.collection("accounts").find_one({"_id": account_id(ctx, resident_id)})
            return CharityPointsAccount.of(resident_id, row)

        return await with_key(ctx, "adjust", idempotency_key, payload, lambda: ctx.transaction(write), replay)
