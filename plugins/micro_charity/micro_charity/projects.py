"""Public-good projects (公益项目) with a goal: pledges (promises to give) and donations
(money received offline — no payment gateway — recorded with a receipt number), with the
progress toward the goal kept on the project in the same transaction."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry

from community_plus_sdk import ConflictError, FieldErrors, ForbiddenError, ModuleContext, NotFoundError, fields
from community_plus_sdk.clock import as_utc, clock, new_id
from community_plus_sdk.relay import Connection, connection, paginate

from .common import attach_photos, claim_key, context, mask_name, with_key
from .content import REVIEW, screen_text
from .manifest import DONATION_RECORD, PROJECT_MANAGE, PROJECT_PLEDGE

ANONYMOUS = "爱心人士"
MAX_AMOUNT_FEN = 100_000_000  # ¥1,000,000


@strawberry.enum
class CharityProjectState(Enum):
    OPEN = "open"
    CLOSED = "closed"


@strawberry.enum
class CharityPledgeState(Enum):
    PLEDGED = "pledged"
    FULFILLED = "fulfilled"
    CANCELLED = "cancelled"


@strawberry.enum(description="捐款方式（线下收款） (how the money was received offline)")
class CharityDonationMethod(Enum):
    CASH = "cash"
    BANK_TRANSFER = "bank_transfer"
    WECHAT_TRANSFER = "wechat_transfer"
    IN_KIND = "in_kind"
    OTHER = "other"


@strawberry.type(description="公益项目及募集进度 (a public-good project and its progress)")
class CharityProject:
    id: strawberry.ID
    title: str
    description: str
    organiser: str | None
    goal_fen: int
    raised_fen: int = strawberry.field(description="已到账（分） (donations received, fen)")
    pledged_fen: int = strawberry.field(description="未兑现的认捐（分） (outstanding pledges, fen)")
    donation_count: int
    pledge_count: int
    progress_percent: float = strawberry.field(description="已到账占目标的百分比，最高100 (raised / goal, capped at 100)")
    goal_reached: bool
    state: CharityProjectState
    ends_on: datetime | None
    cover_photo: strawberry.ID | None
    created_at: datetime
    closed_at: datetime | None

    @classmethod
    def of(cls, row: dict[str, Any]) -> CharityProject:
        goal, raised = row["goalFen"], row["raisedFen"]
        return cls(id=row["_id"], title=row["title"], description=row.get("description") or "",
                   organiser=row.get("organiser"), goal_fen=goal, raised_fen=raised, pledged_fen=row["pledgedFen"],
                   donation_count=row.get("donationCount", 0), pledge_count=row.get("pledgeCount", 0),
                   progress_percent=round(min(100.0, raised * 100.0 / goal), 2) if goal else 100.0,
                   goal_reached=raised >= goal, state=CharityProjectState(row["state"]), ends_on=row.get("endsOn"),
                   cover_photo=row.get("coverPhoto"), created_at=row["createdAt"], closed_at=row.get("closedAt"))


@strawberry.type(description="认捐（承诺捐款） (a pledge)")
class CharityPledge:
    id: strawberry.ID
    project_id: strawberry.ID
    donor_name: str
    amount_fen: int
    state: CharityPledgeState
    created_at: datetime
    is_mine: bool

    @classmethod
    def of(cls, ctx: ModuleContext, row: dict[str, Any]) -> CharityPledge:
        return cls(id=row["_id"], project_id=row["projectId"], donor_name=row.get("publicName") or ANONYMOUS,
                   amount_fen=row["amountFen"], state=CharityPledgeState(row["state"]), created_at=row["createdAt"],
                   is_mine=bool(ctx.caller) and row.get("pledgerUserId") == ctx.caller.user_id)


@strawberry.type(description="已到账的捐款及收据号 (a donation received, with its receipt number)")
class CharityDonation:
    id: strawberry.ID
    project_id: strawberry.ID
    amount_fen: int
    receipt_no: str
    donor_name: str
    method: CharityDonationMethod
    pledge_id: strawberry.ID | None
    recorded_at: datetime

    @classmethod
    def of(cls, row: dict[str, Any]) -> CharityDonation:
        return cls(id=row["_id"], project_id=row["projectId"], amount_fen=row["amountFen"], receipt_no=row["receiptNo"],
                   donor_name=row.get("publicName") or ANONYMOUS, method=CharityDonationMethod(row["method"]),
                   pledge_id=row.get("pledgeId"), recorded_at=row["recordedAt"])


@strawberry.input
class CharityProjectInput:
    title: str
    description: str
    goal_fen: int = strawberry.field(description="目标金额（分） (goal in fen)")
    organiser: str | None = None
    ends_on: datetime | None = None
    cover_photo: strawberry.ID | None = None


@strawberry.input
class CharityPledgeInput:
    amount_fen: int
    donor_name: str | None = strawberry.field(
        default=None, description="公开署名；居民不填时显示为姓氏加* (public name; residents default to a masked name)")
    anonymous: bool = False


@strawberry.input
class CharityDonationInput:
    amount_fen: int
    receipt_no: str = strawberry.field(description="收据编号，社区内唯一 (receipt number, unique in the community)")
    method: CharityDonationMethod = CharityDonationMethod.CASH
    donor_name: str | None = None
    anonymous: bool = False
    pledge_id: strawberry.ID | None = strawberry.field(default=None, description="兑现的认捐 (the pledge it honours)")
    note: str | None = None


async def _project(ctx: ModuleContext, project_id: str) -> dict[str, Any]:
    row = await ctx.collection("projects").find_one({"_id": project_id})
    if row is None:
        raise NotFoundError("公益项目不存在 (no such project)")
    return row


def _closed() -> ConflictError:
    return ConflictError("项目已结束 (the project is closed)", reason="PROJECT_CLOSED")


async def _public_name(ctx: ModuleContext, name: str | None, anonymous: bool, path: str) -> str | None:
    """The name shown in public: None (anonymous) when asked, or when the check is unsure."""
    if anonymous or not name:
        return None
    return None if await screen_text(ctx, {path: name}) == REVIEW else name


@strawberry.type
class CharityProjectQuery:
    @strawberry.field(description="公益项目，新的在前 (projects, newest first)")
    async def charity_projects(self, info: strawberry.Info, state: CharityProjectState | None = None,
                               first: int = 20, after: str | None = None) -> Connection[CharityProject]:
        ctx = context(info)
        ctx.require_caller()
        page = await paginate(ctx.collection("projects"), {"state": state.value} if state else {},
                              first, after)
        return connection(page, CharityProject.of)

    @strawberry.field
    async def charity_project(self, info: strawberry.Info, id: strawberry.ID) -> CharityProject:
        ctx = context(info)
        ctx.require_caller()
        return CharityProject.of(await _project(ctx, id))

    @strawberry.field(description="项目的捐款公示 (a project's donations, public)")
    async def charity_donations(self, info: strawberry.Info, project_id: strawberry.ID, first: int = 20,
                                after: str | None = None) -> Connection[CharityDonation]:
        ctx = context(info)
        ctx.require_caller()
        page = await paginate(ctx.collection("donations"), {"projectId": project_id}, first, after)
        return connection(page, CharityDonation.of)

    @strawberry.field(description="项目的认捐 (a project's pledges); mine=true: only mine")
    async def charity_pledges(self, info: strawberry.Info, project_id: strawberry.ID | None = None, mine: bool = False,
                              first: int = 20, after: str | None = None) -> Connection[CharityPledge]:
        ctx = context(info)
        caller = ctx.require_caller()
        query: dict[str, Any] = {"projectId": project_id} if project_id else {}
        if mine:
            query["pledgerUserId"] = caller.user_id
        page = await paginate(ctx.collection("pledges"), query, first, after)
        return connection(page, lambda r: CharityPledge.of(ctx, r))


@strawberry.type
class CharityProjectMutation:
    @strawberry.mutation(description="发起公益项目 (start a project)")
    async def create_charity_project(self, info: strawberry.Info, input: CharityProjectInput) -> CharityProject:
        ctx = context(info)
        ctx.require_permission(PROJECT_MANAGE)
        check = FieldErrors("input")
        row = {
            "title": check.value("title", fields.String(required=True, max_length=40, min_length=2), input.title,
                                 required=True),
            "description": check.value("description", fields.Text(max_length=2000), input.description) or "",
            "goalFen": check.value("goalFen", fields.Integer(min=100, max=MAX_AMOUNT_FEN), input.goal_fen, required=True),
            "organiser": check.value("organiser", fields.String(max_length=40), input.organiser),
            "endsOn": as_utc(input.ends_on),
            "coverPhoto": check.value("coverPhoto", fields.Image(), input.cover_photo),
        }
        if row["endsOn"] is not None and row["endsOn"] <= clock.now():
            check.add("endsOn", "结束时间须晚于现在 (must be in the future)")
        check.raise_if_any()
        doc = await ctx.collection("projects").insert({**row, "raisedFen": 0, "pledgedFen": 0, "donationCount": 0,
                                                       "pledgeCount": 0, "state": "open",
                                                       "createdBy": ctx.caller.user_id})
        try:
            await attach_photos(ctx, [row["coverPhoto"]] if row["coverPhoto"] else [], "Project", doc["_id"],
                                "input.coverPhoto")
        except Exception:
            await ctx.collection("projects").delete({"_id": doc["_id"]})
            raise
        await ctx.audit("create", "Project", doc, sorted(row))
        return CharityProject.of(doc)

    @strawberry.mutation(description="结束项目，不再接受认捐和捐款 (close: no more pledges or donations)")
    async def close_charity_project(self, info: strawberry.Info, id: strawberry.ID) -> CharityProject:
        ctx = context(info)
        ctx.require_permission(PROJECT_MANAGE)
        done = await ctx.collection("projects").update({"_id": id}, {"state": "closed", "closedAt": clock.now()},
                                                       expect={"state": "open"})
        if done is None:
            await _project(ctx, id)
            raise _closed()
        await ctx.audit("close", "Project", done, ["state"])
        return CharityProject.of(done)

    @strawberry.mutation(description="认捐（承诺金额，线下缴纳后由社区登记捐款） (pledge an amount; the community records "
                                     "the donation when the money arrives)")
    async def pledge_charity_project(self, info: strawberry.Info, project_id: strawberry.ID, input: CharityPledgeInput,
                                     idempotency_key: str | None = None) -> CharityPledge:
        ctx = context(info)
        ctx.require_permission(PROJECT_PLEDGE)
        caller = ctx.caller
        check = FieldErrors("input")
        amount = check.value("amountFen", fields.Integer(min=100, max=MAX_AMOUNT_FEN), input.amount_fen)
        name = check.value("donorName", fields.String(max_length=40, min_length=2), input.donor_name)
        if caller.role != "resident" and not name and not input.anonymous:
            check.add("donorName", "工作人员代登记时必填，或选择匿名 (required for staff, or pledge anonymously)")
        check.idempotency_key("idempotencyKey", idempotency_key)
        check.raise_if_any()
        await _project(ctx, project_id)
        # a name given is shown as given (after the content check); a resident's own, masked
        shown = None if input.anonymous else (
            await _public_name(ctx, name, False, "input.donorName") if name else mask_name(caller.name))
        pid = new_id()
        payload = {"projectId": project_id, "amountFen": amount, "name": name, "anonymous": input.anonymous}

        async def write(tx: ModuleContext) -> CharityPledge:
            await claim_key(tx, "pledge", idempotency_key, payload, pid)
            if await tx.collection("projects").update({"_id": project_id}, {}, expect={"state": "open"},
                                                      inc={"pledgedFen": amount, "pledgeCount": 1}) is None:
                raise _closed()
            row = await tx.collection("pledges").insert({
                "_id": pid, "projectId": project_id, "amountFen": amount, "donorName": name or caller.name,
                "publicName": shown, "pledgerUserId": caller.user_id, "pledgerResidentId": caller.resident_id,
                "state": "pledged"})
            await tx.audit("pledge", "Pledge", row, ["amountFen"])
            return CharityPledge.of(tx, row)

        async def replay(result_id: str) -> CharityPledge:
            return CharityPledge.of(ctx, await ctx.collection("pledges").find_one({"_id": result_id}))

        return await with_key(ctx, "pledge", idempotency_key, payload, lambda: ctx.transaction(write), replay)

    @strawberry.mutation(description="取消未兑现的认捐 (cancel an outstanding pledge)")
    async def cancel_charity_pledge(self, info: strawberry.Info, id: strawberry.ID) -> CharityPledge:
        ctx = context(info)
        caller = ctx.require_caller()
        row = await ctx.collection("pledges").find_one({"_id": id})
        if row is None:
            raise NotFoundError("认捐不存在 (no such pledge)")
        if row["pledgerUserId"] != caller.user_id and not ctx.has_permission(PROJECT_MANAGE):
            raise ForbiddenError("只能取消自己的认捐 (you may cancel only your own pledges)")

        async def write(tx: ModuleContext) -> CharityPledge:
            done = await tx.collection("pledges").update({"_id": id}, {"state": "cancelled", "cancelledAt": clock.now()},
                                                         expect={"state": "pledged"})
            if done is None:
                raise ConflictError("认捐已兑现或已取消 (the pledge is fulfilled or cancelled)", reason="WRONG_STATE")
            await tx.collection("projects").update({"_id": row["projectId"]}, {},
                                                   inc={"pledgedFen": -row["amountFen"], "pledgeCount": -1})
            await tx.audit("cancel", "Pledge", done, ["state"])
            return CharityPledge.of(tx, done)

        return await ctx.transaction(write)

    @strawberry.mutation(description="登记到账捐款及收据号（无支付通道）；同一幂等键重试返回同一结果 (record a donation "
                                     "received offline with its receipt; retries with the same key return the first)")
    async def record_charity_donation(self, info: strawberry.Info, project_id: strawberry.ID,
                                      input: CharityDonationInput, idempotency_key: str | None = None) -> CharityDonation:
        ctx = context(info)
        ctx.require_permission(DONATION_RECORD)
        check = FieldErrors("input")
        amount = check.value("amountFen", fields.Integer(min=1, max=MAX_AMOUNT_FEN), input.amount_fen)
        receipt = check.value("receiptNo", fields.String(required=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9\-]{3,31}$"),
                              input.receipt_no, required=True)
        name = check.value("donorName", fields.String(max_length=40, min_length=2), input.donor_name)
        note = check.value("note", fields.String(max_length=200), input.note)
        check.idempotency_key("idempotencyKey", idempotency_key)
        check.raise_if_any()
        receipt = receipt.upper()
        await _project(ctx, project_id)
        pledge = None
        if input.pledge_id:
            pledge = await ctx.collection("pledges").find_one({"_id": input.pledge_id, "projectId": project_id})
            if pledge is None:
                check.add("pledgeId", "该项目没有这笔认捐 (no such pledge for this project)")
                check.raise_if_any()
        if input.anonymous:
            shown = None
        elif name:
            shown = await _public_name(ctx, name, False, "input.donorName")
        else:  # the pledge's donor, as they chose to be shown
            shown = pledge.get("publicName") if pledge else None
        if pledge:
            name = name or pledge.get("donorName")
        did = new_id()
        payload = {"projectId": project_id, "amountFen": amount, "receiptNo": receipt, "pledgeId": input.pledge_id}

        async def write(tx: ModuleContext) -> CharityDonation:
            await claim_key(tx, "donate", idempotency_key, payload, did)
            try:
                await tx.collection("receipts").insert({"_id": f"{tx.community_id}:{receipt}", "donationId": did})
            except ConflictError:
                raise ConflictError(f"收据号 {receipt} 已登记 (receipt {receipt} was recorded before)",
                                    reason="RECEIPT_EXISTS") from None
            inc = {"raisedFen": amount, "donationCount": 1}
            if pledge:
                kept = await tx.collection("pledges").update({"_id": pledge["_id"]}, {
                    "state": "fulfilled", "fulfilledAt": clock.now(), "donationId": did}, expect={"state": "pledged"})
                if kept is None:
                    raise ConflictError("认捐已兑现或已取消 (the pledge is fulfilled or cancelled)", reason="WRONG_STATE")
                inc["pledgedFen"] = -pledge["amountFen"]
            if await tx.collection("projects").update({"_id": project_id}, {}, expect={"state": "open"}, inc=inc) is None:
                raise _closed()
            row = await tx.collection("donations").insert({
                "_id": did, "projectId": project_id, "amountFen": amount, "receiptNo": receipt, "donorName": name,
                "publicName": shown, "method": input.method.value, "pledgeId": input.pledge_id, "note": note,
                "recordedAt": clock.now(), "recordedBy": ctx.caller.user_id})
            await tx.audit("record_donation", "Donation", row, ["amountFen", "receiptNo"])
            if pledge:
                await tx.notify([pledge["pledgerUserId"]], "您的认捐已到账，感谢支持", "已到账", "/pages/micro_charity/projects")
            return CharityDonation.of(row)

        async def replay(result_id: str) -> CharityDonation:
            return CharityDonation.of(await ctx.collection("donations").find_one({"_id": result_id}))

        return await with_key(ctx, "donate", idempotency_key, payload, lambda: ctx.transaction(write), replay)
