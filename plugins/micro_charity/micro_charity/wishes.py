"""Micro-wishes (微心愿): a resident in need — or a worker on their behalf — posts a small
wish; its text passes the content check; an admin approves it; a neighbour or an
organisation claims it (exactly one claim wins) and fulfils it with proof photos; the wisher
confirms. The public sees an alias and the grid only, never the wisher's name or id.

The types are `wish_types.py`, the rules (visibility, transitions) `wish_rules.py`; this
module is the GraphQL queries and mutations."""

from __future__ import annotations

import secrets
from typing import Any

import strawberry

from community_plus_sdk import ConflictError, FieldErrors, ForbiddenError, ModuleContext, fields
from community_plus_sdk.clock import clock
from community_plus_sdk.relay import Connection, and_, connection, paginate

from .common import attach_photos, context, mask_name
from .content import REVIEW, screen_text
from .manifest import WISH_APPROVE, WISH_CLAIM
from .points import WISH, account_id, ensure_account, post_entry
from .wish_rules import (ACTIVE_STATES, DOING, PUBLIC_STATES, initial_state, is_wisher_side, load_wish, tell_wisher,
                         transition, visibility, wisher_for, wrong_state)
from .wish_types import CharityWish, CharityWishCategory, CharityWishInput, CharityWishReview, CharityWishState

# the types and rules moved to wish_types.py and wish_rules.py; their names stay importable from here
__all__ = ["ACTIVE_STATES", "DOING", "PUBLIC_STATES", "CharityWish", "CharityWishCategory", "CharityWishInput",
           "CharityWishMutation", "CharityWishQuery", "CharityWishReview", "CharityWishState", "initial_state",
           "load_wish", "visibility"]


# -- queries ---------------------------------------------------------------------------------------

@strawberry.type
class CharityWishQuery:
    @strawberry.field(description="微心愿列表，新的在前；居民只看到公开的心愿和自己的 (wishes, newest first)")
    async def charity_wishes(self, info: strawberry.Info, state: CharityWishState | None = None,
                             grid_id: strawberry.ID | None = None, mine: bool = False, claimed_by_me: bool = False,
                             first: int = 20, after: str | None = None) -> Connection[CharityWish]:
        ctx = context(info)
        caller = ctx.require_caller()
        parts: list[dict[str, Any]] = [visibility(ctx)]
        if state:
            parts.append({"state": state.value})
        if grid_id:
            parts.append({"gridId": grid_id})
        if mine:
            own: list[dict[str, Any]] = [{"postedBy": caller.user_id}]
            if caller.resident_id:
                own.append({"wisherResidentId": caller.resident_id})
            parts.append({"$or": own})
        if claimed_by_me:
            parts.append({"claimantUserId": caller.user_id})
        page = await paginate(ctx.collection("wishes"), and_(*parts), first, after)
        return connection(page, lambda r: CharityWish.of(ctx, r))

    @strawberry.field(description="一个微心愿 (one wish)")
    async def charity_wish(self, info: strawberry.Info, id: strawberry.ID) -> CharityWish:
        ctx = context(info)
        return CharityWish.of(ctx, await load_wish(ctx, id))

    @strawberry.field(description="审核队列：含心愿人身份（审核人） (the review queue with identities, for reviewers)")
    async def charity_wish_reviews(self, info: strawberry.Info,
                                   state: CharityWishState | None = CharityWishState.PENDING_REVIEW,
                                   first: int = 20, after: str | None = None) -> Connection[CharityWishReview]:
        ctx = context(info)
        ctx.require_permission(WISH_APPROVE)
        page = await paginate(ctx.collection("wishes"), {"state": state.value} if state else {},
                              first, after)
        for row in page.docs:  # revealing who is in need is accountable
            await ctx.audit("view_wisher", "Wish", row, ["wisherResidentId", "wisherName"])
        return connection(page, lambda r: CharityWishReview(
            wish=CharityWish.of(ctx, r), wisher_resident_id=r.get("wisherResidentId"),
            wisher_name=r.get("wisherName") or "", posted_by_staff=r.get("postedByRole") != "resident",
            content_flagged=r.get("contentVerdict") == REVIEW))


@strawberry.type
class CharityWishMutation:
    @strawberry.mutation(description="发布微心愿：文字经内容安全检测；违规内容被拒绝，存疑内容转人工审核 (post a wish: "
                                     "risky text is refused, doubtful text goes to review)")
    async def post_charity_wish(self, info: strawberry.Info, input: CharityWishInput) -> CharityWish:
        ctx = context(info)
        caller = ctx.require_caller()
        settings = await ctx.settings()
        check = FieldErrors("input")
        title = check.value("title", fields.String(required=True, max_length=30, min_length=2), input.title,
                            required=True)
        description = check.value("description", fields.Text(required=True, max_length=300, min_length=5),
                                  input.description, required=True)
        alias = check.value("alias", fields.String(max_length=12, min_length=2), input.alias)
        photos = check.value("photos", fields.List(fields.Image(), max_items=3), input.photos) or []
        value = check.value("estimatedValueFen", fields.Integer(min=0, max=settings.max_wish_value_fen),
                            input.estimated_value_fen)
        check.raise_if_any()
        resident = await wisher_for(ctx, input.resident_id)
        verdict = await screen_text(ctx, {"input.title": title, "input.description": description, "input.alias": alias})
        limit = settings.max_open_wishes_per_resident
        await ensure_account(ctx, resident["_id"])
        row = {"title": title, "description": description, "category": input.category.value,
               "alias": alias or f"爱心邻居{secrets.randbelow(9000) + 1000}", "photos": photos,
               "estimatedValueFen": value, "gridId": resident.get("gridId"),
               "wisherResidentId": resident["_id"], "wisherName": resident.get("name"),
               "wisherUserId": caller.user_id if caller.role == "resident" else None,
               "postedBy": caller.user_id, "postedByRole": caller.role, "contentVerdict": verdict,
               "state": initial_state(verdict, settings.require_wish_approval)}

        async def write(tx: ModuleContext) -> dict[str, Any]:
            # touching the wisher's account makes concurrent posts for one resident take turns
            await tx.collection("accounts").update({"_id": account_id(tx, resident["_id"])}, {"lastWishAt": clock.now()})
            active = await tx.collection("wishes").count({"wisherResidentId": resident["_id"],
                                                          "state": {"$in": ACTIVE_STATES}})
            if active >= limit:
                raise ConflictError(f"每位居民最多同时有{limit}个进行中的心愿 (at most {limit} open wishes per "
                                    "resident)", reason="TOO_MANY_OPEN_WISHES")
            doc = await tx.collection("wishes").insert(row)
            await tx.audit("post", "Wish", doc, sorted(row))
            return doc

        doc = await ctx.transaction(write)
        try:
            await attach_photos(ctx, photos, "Wish", doc["_id"], "input.photos")
        except Exception:
            await ctx.collection("wishes").delete({"_id": doc["_id"]})
            raise
        return CharityWish.of(ctx, doc)

    @strawberry.mutation(description="审核通过，心愿公开 (approve: the wish becomes public)")
    async def approve_charity_wish(self, info: strawberry.Info, id: strawberry.ID,
                                   note: str | None = None) -> CharityWish:
        ctx = context(info)
        ctx.require_permission(WISH_APPROVE)
        check = FieldErrors()
        note = check.value("note", fields.String(max_length=200), note)
        check.raise_if_any()
        row = await load_wish(ctx, id)
        done = await transition(ctx, row, "pending_review", {"state": "open", "reviewNote": note or None,
                                                              "reviewedBy": ctx.caller.user_id, "reviewedAt": clock.now()},
                                 "审核")
        await ctx.audit("approve", "Wish", done, ["state"])
        await tell_wisher(ctx, done, f"心愿「{done['title']}」已公开", "已公开")
        return CharityWish.of(ctx, done)

    @strawberry.mutation(description="审核不通过，须说明原因 (reject with a reason)")
    async def reject_charity_wish(self, info: strawberry.Info, id: strawberry.ID, reason: str) -> CharityWish:
        ctx = context(info)
        ctx.require_permission(WISH_APPROVE)
        check = FieldErrors()
        reason = check.value("reason", fields.String(required=True, max_length=200), reason, required=True)
        check.raise_if_any()
        row = await load_wish(ctx, id)
        done = await transition(ctx, row, "pending_review", {"state": "rejected", "reviewNote": reason,
                                                              "reviewedBy": ctx.caller.user_id, "reviewedAt": clock.now()},
                                 "审核")
        await ctx.audit("reject", "Wish", done, ["state", "reviewNote"])
        await tell_wisher(ctx, done, f"心愿「{done['title']}」未通过审核", "未通过")
        return CharityWish.of(ctx, done)

    @strawberry.mutation(description="撤回尚未被认领的心愿（心愿人、代发人或审核人） (withdraw a wish not yet claimed)")
    async def cancel_charity_wish(self, info: strawberry.Info, id: strawberry.ID) -> CharityWish:
        ctx = context(info)
        row = await load_wish(ctx, id)
        if not (is_wisher_side(ctx, row) or ctx.has_permission(WISH_APPROVE)):
            raise ForbiddenError("只有心愿人、代发人或审核人可以撤回 (only the wisher, the poster or a reviewer)")
        if row["state"] not in ("pending_review", "open"):
            raise wrong_state(row, "撤回")
        done = await transition(ctx, row, row["state"], {"state": "cancelled", "cancelledAt": clock.now(),
                                                          "cancelledBy": ctx.caller.user_id}, "撤回")
        await ctx.audit("cancel", "Wish", done, ["state"])
        return CharityWish.of(ctx, done)

    @strawberry.mutation(description="认领心愿；并发认领只有一个成功 (claim a wish; of concurrent claims exactly one "
                                     "wins). 工作人员代组织认领时须填组织名 (staff give the organisation)")
    async def claim_charity_wish(self, info: strawberry.Info, id: strawberry.ID,
                                 organisation: str | None = None) -> CharityWish:
        ctx = context(info)
        ctx.require_permission(WISH_CLAIM)
        caller = ctx.caller
        check = FieldErrors()
        organisation = check.value("organisation", fields.String(max_length=40, min_length=2), organisation)
        if caller.role != "resident" and not organisation:
            check.add("organisation", "工作人员代组织认领时必填 (required when staff claim for an organisation)")
        check.raise_if_any()
        row = await load_wish(ctx, id)
        if is_wisher_side(ctx, row):
            raise ForbiddenError("不能认领自己的心愿 (you cannot claim your own wish)")
        if organisation:
            await screen_text(ctx, {"organisation": organisation})
        resident = caller.role == "resident"
        done = await transition(ctx, row, "open", {
            "state": "claimed", "claimantUserId": caller.user_id,
            "claimantResidentId": caller.resident_id if resident else None,
            "claimantKind": "organisation" if organisation else "resident",
            "claimantName": organisation or mask_name(caller.name), "claimedAt": clock.now()}, "claim")
        await ctx.audit("claim", "Wish", done, ["state", "claimantUserId"])
        await tell_wisher(ctx, done, f"心愿「{done['title']}」已被认领", "已认领")
        return CharityWish.of(ctx, done)

    @strawberry.mutation(description="放弃认领，心愿重新开放 (give a claim up: the wish is open again)")
    async def release_charity_wish(self, info: strawberry.Info, id: strawberry.ID) -> CharityWish:
        ctx = context(info)
        row = await load_wish(ctx, id)
        if row.get("claimantUserId") != ctx.caller.user_id and not ctx.has_permission(WISH_APPROVE):
            raise ForbiddenError("只有认领者可以放弃认领 (only the claimant can give the claim up)")
        done = await transition(ctx, row, "claimed", {
            "state": "open", "claimantUserId": None, "claimantResidentId": None, "claimantKind": None,
            "claimantName": None, "claimedAt": None}, "放弃认领", {"claimantUserId": row.get("claimantUserId")})
        await ctx.audit("release", "Wish", done, ["state"])
        return CharityWish.of(ctx, done)

    @strawberry.mutation(description="认领者提交送达凭证（至少一张照片） (the claimant delivers, with proof photos)")
    async def fulfil_charity_wish(self, info: strawberry.Info, id: strawberry.ID, proof_photos: list[strawberry.ID],
                                  note: str | None = None) -> CharityWish:
        ctx = context(info)
        check = FieldErrors()
        photos = check.value("proofPhotos", fields.List(fields.Image(), max_items=6), proof_photos) or []
        if not proof_photos:
            check.add("proofPhotos", "至少上传一张凭证照片 (at least one proof photo)")
        note = check.value("note", fields.String(max_length=200), note)
        check.raise_if_any()
        row = await load_wish(ctx, id)
        if row.get("claimantUserId") != ctx.caller.user_id:
            raise ForbiddenError("只有认领者可以提交送达凭证 (only the claimant can deliver)")
        if row["state"] != "claimed":
            raise wrong_state(row, "提交凭证")
        if note:
            await screen_text(ctx, {"note": note})
        await attach_photos(ctx, photos, "WishProof", id, "proofPhotos")
        try:
            done = await transition(ctx, row, "claimed", {"state": "fulfilled", "proofPhotos": photos,
                                                           "proofNote": note or None, "fulfilledAt": clock.now()},
                                     "提交凭证", {"claimantUserId": ctx.caller.user_id})
        except ConflictError:
            await ctx.release_files("WishProof", id)
            raise
        await ctx.audit("fulfil", "Wish", done, ["state", "proofPhotos"])
        await tell_wisher(ctx, done, f"心愿「{done['title']}」已送达，请确认", "待确认")
        return CharityWish.of(ctx, done)

    @strawberry.mutation(description="心愿人（或代发人）确认收到；居民认领者获得积分 (the wisher confirms; a resident "
                                     "claimant earns points)")
    async def confirm_charity_wish(self, info: strawberry.Info, id: strawberry.ID,
                                   thanks: str | None = None) -> CharityWish:
        ctx = context(info)
        check = FieldErrors()
        thanks = check.value("thanks", fields.String(max_length=100), thanks)
        check.raise_if_any()
        row = await load_wish(ctx, id)
        if not (is_wisher_side(ctx, row) or ctx.has_permission(WISH_APPROVE)):
            raise ForbiddenError("只有心愿人或代发人可以确认 (only the wisher or the poster can confirm)")
        if row["state"] != "fulfilled":
            raise wrong_state(row, "确认")
        if thanks:
            await screen_text(ctx, {"thanks": thanks})
        points = (await ctx.settings()).points_per_wish_fulfilled
        claimant = row.get("claimantResidentId")
        if claimant:
            await ensure_account(ctx, claimant)

        async def write(tx: ModuleContext) -> dict[str, Any]:
            changes = {"state": "completed", "completedAt": clock.now(), "thanks": thanks or None,
                       "pointsAwarded": points if claimant else 0}
            done = await transition(tx, row, "fulfilled", changes, "确认")
            if claimant and points:
                await post_entry(tx, claimant, points, WISH, f"圆梦心愿「{row['title']}」", row["_id"])
            await tx.audit("confirm", "Wish", done, ["state"])
            if done.get("claimantUserId"):
                await tx.notify([done["claimantUserId"]], f"您认领的心愿「{done['title']}」已完成", "已完成",
                                f"/pages/micro_charity/wish?id={done['_id']}")
            return done

        return CharityWish.of(ctx, await ctx.transaction(write))
