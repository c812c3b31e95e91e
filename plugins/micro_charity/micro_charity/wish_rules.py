"""The rules of a micro-wish: who sees it (public states, the wisher's side, reviewers), whom
it is for, how it moves from state to state (compare-and-set: of concurrent changes one wins,
the others get CONFLICT with the state they found), and telling the wisher."""

from __future__ import annotations

from typing import Any

from community_plus_sdk import ConflictError, ForbiddenError, ModuleContext, NotFoundError, UserInputError
from community_plus_sdk.relay import and_

from .content import REVIEW
from .manifest import WISH_APPROVE, WISH_POST_FOR_OTHERS

PUBLIC_STATES = ["open", "claimed", "fulfilled", "completed"]
ACTIVE_STATES = ["pending_review", "open", "claimed", "fulfilled"]


def initial_state(verdict: str, require_approval: bool) -> str:
    """A new wish waits for review when the content check is unsure or the community
    reviews every wish; otherwise it is public at once."""
    return "pending_review" if verdict == REVIEW or require_approval else "open"


def visibility(ctx: ModuleContext) -> dict[str, Any]:
    """Which wishes the caller may see: public states, their own, or all for reviewers."""
    caller = ctx.require_caller()
    if ctx.has_permission(WISH_APPROVE):
        return {}
    ors: list[dict[str, Any]] = [{"state": {"$in": PUBLIC_STATES}}, {"postedBy": caller.user_id}]
    if caller.resident_id:
        ors.append({"wisherResidentId": caller.resident_id})
    return {"$or": ors}


async def load_wish(ctx: ModuleContext, wish_id: str) -> dict[str, Any]:
    row = await ctx.collection("wishes").find_one(and_({"_id": wish_id}, visibility(ctx)))
    if row is None:
        raise NotFoundError("心愿不存在 (no such wish)")
    return row


def is_wisher_side(ctx: ModuleContext, row: dict[str, Any]) -> bool:
    caller = ctx.require_caller()
    return row.get("postedBy") == caller.user_id or (
        caller.role == "resident" and bool(caller.resident_id) and row.get("wisherResidentId") == caller.resident_id)


def wrong_state(row: dict[str, Any], doing: str) -> ConflictError:
    if row["state"] in ("claimed", "fulfilled", "completed") and doing == "claim":
        return ConflictError("心愿已被认领 (this wish has already been claimed)", reason="ALREADY_CLAIMED")
    label = {"pending_review": "待审核", "open": "待认领", "claimed": "已认领", "fulfilled": "已送达",
             "completed": "已完成", "rejected": "未通过", "cancelled": "已取消"}[row["state"]]
    state = row["state"].upper()  # as CharityWishState spells it
    zh, en = DOING.get(doing, (doing, doing))
    return ConflictError(f"心愿当前为「{label}」，不能{zh} (the wish is {state}: cannot {en} it)",
                         reason="WRONG_STATE", state=state)


DOING = {"claim": ("认领", "claim"), "审核": ("审核", "review"), "撤回": ("撤回", "withdraw"),
         "放弃认领": ("放弃认领", "release"), "提交凭证": ("提交凭证", "deliver"), "确认": ("确认", "confirm")}


async def transition(ctx: ModuleContext, row: dict[str, Any], from_state: str, changes: dict[str, Any],
                      doing: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Compare-and-set the state; CONFLICT when someone else changed it first."""
    if row["state"] != from_state:
        raise wrong_state(row, doing)
    done = await ctx.collection("wishes").update({"_id": row["_id"]}, changes,
                                                 expect={"state": from_state, **(extra or {})})
    if done is None:
        raise wrong_state(await ctx.collection("wishes").find_one({"_id": row["_id"]}) or row, doing)
    return done


async def tell_wisher(ctx: ModuleContext, row: dict[str, Any], title: str, state: str) -> None:
    users = {u for u in (row.get("wisherUserId"), row.get("postedBy")) if u}
    if users:
        await ctx.notify(sorted(users), title, state, f"/pages/micro_charity/wish?id={row['_id']}")


async def wisher_for(ctx: ModuleContext, resident_id: str | None) -> dict[str, Any]:
    """The resident the wish is for: the caller, or (staff) the resident they name."""
    caller = ctx.require_caller()
    if caller.role == "resident":
        if not caller.resident_id:
            raise ForbiddenError("请先绑定居民身份 (bind your resident record first)")
        if resident_id and resident_id != caller.resident_id:
            raise ForbiddenError("居民只能为自己发布心愿 (residents post wishes for themselves only)")
        resident_id = caller.resident_id
    else:
        ctx.require_permission(WISH_POST_FOR_OTHERS)
        if not resident_id:
            raise UserInputError({"input.residentId": "代居民发布时必填 (required when posting for a resident)"})
    resident = await ctx.resident(resident_id)
    if resident is None:
        raise UserInputError({"input.residentId": "居民不存在或不在您的范围内 (no such resident in your scope)"})
    return resident
