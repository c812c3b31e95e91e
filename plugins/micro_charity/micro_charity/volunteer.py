"""Volunteer activities (志愿活动): sign-up within capacity (exactly once per volunteer, never
over capacity), check-in and check-out by the organiser, recorded hours that earn points."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

import strawberry

from community_plus_sdk import ConflictError, FieldErrors, ModuleContext, NotFoundError, UserInputError, fields
from community_plus_sdk.clock import as_utc, clock
from community_plus_sdk.relay import Connection, and_, connection, paginate

from .common import context, require_resident
from .manifest import ACTIVITY_MANAGE
from .points import VOLUNTEER, ensure_account, post_entry

MAX_DURATION = timedelta(hours=24)


@strawberry.enum
class CharityActivityState(Enum):
    OPEN = "open"
    CANCELLED = "cancelled"


@strawberry.enum
class CharitySignupState(Enum):
    SIGNED_UP = "signed_up"
    CHECKED_IN = "checked_in"
    COMPLETED = "completed"


@strawberry.type(description="志愿者报名与服务记录 (a volunteer's sign-up and service record)")
class CharitySignup:
    id: strawberry.ID
    activity_id: strawberry.ID
    resident_id: strawberry.ID
    volunteer_name: str
    state: CharitySignupState
    signed_up_at: datetime
    checked_in_at: datetime | None
    checked_out_at: datetime | None
    hours: float | None
    points: int | None

    @classmethod
    def of(cls, row: dict[str, Any]) -> CharitySignup:
        return cls(id=row["_id"], activity_id=row["activityId"], resident_id=row["residentId"],
                   volunteer_name=row.get("volunteerName") or "", state=CharitySignupState(row["state"]),
                   signed_up_at=row["createdAt"], checked_in_at=row.get("checkedInAt"),
                   checked_out_at=row.get("checkedOutAt"), hours=row.get("hours"), points=row.get("points"))


@strawberry.type(description="志愿活动 (a volunteer activity)")
class CharityActivity:
    id: strawberry.ID
    title: str
    description: str
    location: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    signed_up: int
    spots_left: int
    points_per_hour: int
    state: CharityActivityState
    created_at: datetime
    my_signup: CharitySignup | None = strawberry.field(description="我的报名（居民） (my sign-up, for residents)")

    @classmethod
    def of(cls, row: dict[str, Any], mine: dict[str, Any] | None = None) -> CharityActivity:
        return cls(id=row["_id"], title=row["title"], description=row.get("description") or "",
                   location=row["location"], starts_at=row["startsAt"], ends_at=row["endsAt"], capacity=row["capacity"],
                   signed_up=row["signedUp"], spots_left=max(0, row["capacity"] - row["signedUp"]),
                   points_per_hour=row["pointsPerHour"], state=CharityActivityState(row["state"]),
                   created_at=row["createdAt"], my_signup=CharitySignup.of(mine) if mine else None)


@strawberry.input
class CharityActivityInput:
    title: str
    location: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    description: str | None = None
    points_per_hour: int | None = strawberry.field(default=None, description="默认取模块设置 (default: the setting)")


def signup_id(activity_id: str, resident_id: str) -> str:
    return f"{activity_id}:{resident_id}"


async def _activity(ctx: ModuleContext, activity_id: str) -> dict[str, Any]:
    row = await ctx.collection("activities").find_one({"_id": activity_id})
    if row is None:
        raise NotFoundError("活动不存在 (no such activity)")
    return row


async def _my_signups(ctx: ModuleContext, activity_ids: list[str]) -> dict[str, dict[str, Any]]:
    """The calling resident's sign-ups for these activities, in one query."""
    caller = ctx.caller
    if not activity_ids or caller is None or caller.role != "resident" or not caller.resident_id:
        return {}
    rows = await ctx.collection("signups").find({"residentId": caller.resident_id,
                                                 "activityId": {"$in": activity_ids}}, limit=len(activity_ids))
    return {r["activityId"]: r for r in rows}


@strawberry.type
class CharityActivityQuery:
    @strawberry.field(description="志愿活动，新发布的在前；upcoming=true 只看未结束的 (activities, newest first)")
    async def charity_activities(self, info: strawberry.Info, state: CharityActivityState | None = None,
                                 upcoming: bool = False, first: int = 20,
                                 after: str | None = None) -> Connection[CharityActivity]:
        ctx = context(info)
        ctx.require_caller()
        query = and_({"state": state.value} if state else {}, {"endsAt": {"$gt": clock.now()}} if upcoming else {})
        page = await paginate(ctx.collection("activities"), query, first, after)
        mine = await _my_signups(ctx, [r["_id"] for r in page.docs])
        return connection(page, lambda r: CharityActivity.of(r, mine.get(r["_id"])))

    @strawberry.field
    async def charity_activity(self, info: strawberry.Info, id: strawberry.ID) -> CharityActivity:
        ctx = context(info)
        ctx.require_caller()
        row = await _activity(ctx, id)
        return CharityActivity.of(row, (await _my_signups(ctx, [id])).get(id))

    @strawberry.field(description="活动的报名名单（组织者） (an activity's roster, for organisers)")
    async def charity_activity_signups(self, info: strawberry.Info, activity_id: strawberry.ID, first: int = 50,
                                       after: str | None = None) -> Connection[CharitySignup]:
        ctx = context(info)
        ctx.require_permission(ACTIVITY_MANAGE)
        page = await paginate(ctx.collection("signups"), {"activityId": activity_id}, first, after)
        return connection(page, CharitySignup.of)

    @strawberry.field(description="我的志愿服务记录 (my sign-ups and service records)")
    async def my_charity_signups(self, info: strawberry.Info, first: int = 20,
                                 after: str | None = None) -> Connection[CharitySignup]:
        ctx = context(info)
        caller = require_resident(ctx)
        page = await paginate(ctx.collection("signups"), {"residentId": caller.resident_id},
                              first, after)
        return connection(page, CharitySignup.of)


def _hours(value: float | None, signup: dict[str, Any], activity: dict[str, Any], cap: float) -> float:
    """Hours to record: given by the organiser, or the time since check-in in half hours;
    never more than the activity lasts or the per-checkout cap."""
    limit = min(cap, (activity["endsAt"] - activity["startsAt"]).total_seconds() / 3600)
    if value is None:
        elapsed = (clock.now() - signup["checkedInAt"]).total_seconds() / 3600
        return min(limit, math.floor(elapsed * 2) / 2)
    if math.isnan(value) or value <= 0 or value > limit:
        raise UserInputError({"hours": f"应大于0且不超过{limit:g}小时 (must be > 0 and ≤ {limit:g} hours)"})
    return round(value, 2)


@strawberry.type
class CharityActivityMutation:
    @strawberry.mutation(description="发布志愿活动 (publish an activity)")
    async def create_charity_activity(self, info: strawberry.Info, input: CharityActivityInput) -> CharityActivity:
        ctx = context(info)
        ctx.require_permission(ACTIVITY_MANAGE)
        settings = await ctx.settings()
        check = FieldErrors("input")
        starts, ends = as_utc(input.starts_at), as_utc(input.ends_at)
        row = {
            "title": check.value("title", fields.String(required=True, max_length=40, min_length=2), input.title,
                                 required=True),
            "location": check.value("location", fields.String(required=True, max_length=100), input.location,
                                    required=True),
            "description": check.value("description", fields.Text(max_length=2000), input.description) or "",
            "capacity": check.value("capacity", fields.Integer(min=1, max=1000), input.capacity, required=True),
            "pointsPerHour": check.value("pointsPerHour", fields.Integer(min=0, max=1000), input.points_per_hour),
            "startsAt": starts, "endsAt": ends,
        }
        if starts <= clock.now():
            check.add("startsAt", "开始时间须晚于现在 (must be in the future)")
        if ends <= starts:
            check.add("endsAt", "结束时间须晚于开始时间 (must be after startsAt)")
        elif ends - starts > MAX_DURATION:
            check.add("endsAt", "活动最长24小时 (an activity lasts at most 24 hours)")
        check.raise_if_any()
        if row["pointsPerHour"] is None:
            row["pointsPerHour"] = settings.points_per_volunteer_hour
        doc = await ctx.collection("activities").insert({**row, "signedUp": 0, "state": "open",
                                                         "createdBy": ctx.caller.user_id})
        await ctx.audit("create", "Activity", doc, sorted(row))
        return CharityActivity.of(doc)

    @strawberry.mutation(description="取消活动并通知已报名的志愿者 (cancel and tell the volunteers)")
    async def cancel_charity_activity(self, info: strawberry.Info, id: strawberry.ID) -> CharityActivity:
        ctx = context(info)
        ctx.require_permission(ACTIVITY_MANAGE)
        activity = await _activity(ctx, id)
        if await ctx.collection("signups").count({"activityId": id, "state": {"$ne": "signed_up"}}):
            raise ConflictError("已有志愿者签到，不能取消 (volunteers have checked in)", reason="WRONG_STATE")
        done = await ctx.collection("activities").update({"_id": id}, {"state": "cancelled", "cancelledAt": clock.now()},
                                                         expect={"state": "open"})
        if done is None:
            raise ConflictError("活动已取消 (already cancelled)", reason="WRONG_STATE")
        users = [r["userId"] for r in await ctx.collection("signups").find({"activityId": id}, limit=1000)]
        if users:
            await ctx.notify(users, f"志愿活动「{activity['title']}」已取消", "已取消", "/pages/micro_charity/activities")
        await ctx.audit("cancel", "Activity", done, ["state"])
        return CharityActivity.of(done)

    @strawberry.mutation(description="报名；满员或重复报名被拒绝 (sign up; refused when full or already signed up)")
    async def sign_up_charity_activity(self, info: strawberry.Info, id: strawberry.ID) -> CharityActivity:
        ctx = context(info)
        caller = require_resident(ctx)
        activity = await _activity(ctx, id)
        if activity["state"] != "open":
            raise ConflictError("活动已取消 (the activity is cancelled)", reason="WRONG_STATE")
        if activity["startsAt"] <= clock.now():
            raise ConflictError("报名已截止 (sign-up closed when the activity started)", reason="SIGNUP_CLOSED")

        sid = signup_id(id, caller.resident_id)

        def already() -> ConflictError:
            return ConflictError("您已报名 (you have signed up already)", reason="ALREADY_SIGNED_UP")

        async def write(tx: ModuleContext) -> CharityActivity:
            if await tx.collection("signups").find_one({"_id": sid}) is not None:
                raise already()
            taken = await tx.collection("activities").update(
                {"_id": id}, {}, expect={"state": "open", "capacity": activity["capacity"],
                                         "signedUp": {"$lt": activity["capacity"]}}, inc={"signedUp": 1})
            if taken is None:
                raise ConflictError("名额已满 (the activity is full)", reason="FULL")
            try:
                row = await tx.collection("signups").insert({
                    "_id": sid, "activityId": id, "residentId": caller.resident_id,
                    "userId": caller.user_id, "volunteerName": caller.name, "state": "signed_up"})
            except ConflictError:
                raise already() from None
            return CharityActivity.of(taken, row)

        return await ctx.transaction(write)

    @strawberry.mutation(description="活动开始前取消报名 (withdraw before the activity starts)")
    async def cancel_charity_signup(self, info: strawberry.Info, activity_id: strawberry.ID) -> CharityActivity:
        ctx = context(info)
        caller = require_resident(ctx)
        activity = await _activity(ctx, activity_id)
        if activity["startsAt"] <= clock.now():
            raise ConflictError("活动已开始，不能取消报名 (the activity has started)", reason="WRONG_STATE")
        sid = signup_id(activity_id, caller.resident_id)

        async def write(tx: ModuleContext) -> CharityActivity:
            if not await tx.collection("signups").delete({"_id": sid, "state": "signed_up"}):
                raise ConflictError("没有可取消的报名 (no sign-up to withdraw)", reason="WRONG_STATE")
            done = await tx.collection("activities").update({"_id": activity_id}, {}, inc={"signedUp": -1})
            return CharityActivity.of(done)

        return await ctx.transaction(write)

    @strawberry.mutation(description="签到（组织者） (check a volunteer in, for organisers)")
    async def check_in_charity_volunteer(self, info: strawberry.Info, activity_id: strawberry.ID,
                                         resident_id: strawberry.ID) -> CharitySignup:
        ctx = context(info)
        ctx.require_permission(ACTIVITY_MANAGE)
        activity = await _activity(ctx, activity_id)
        opens = activity["startsAt"] - timedelta(minutes=(await ctx.settings()).check_in_opens_minutes_before)
        if activity["state"] != "open":
            raise ConflictError("活动已取消 (the activity is cancelled)", reason="WRONG_STATE")
        if not opens <= clock.now() <= activity["endsAt"]:
            raise ConflictError("不在签到时间内 (check-in is not open now)", reason="CHECK_IN_CLOSED")
        signups = ctx.collection("signups")
        sid = signup_id(activity_id, resident_id)
        done = await signups.update({"_id": sid}, {"state": "checked_in", "checkedInAt": clock.now(),
                                                   "checkedInBy": ctx.caller.user_id}, expect={"state": "signed_up"})
        if done is None:
            if await signups.find_one({"_id": sid}) is None:
                raise NotFoundError("该居民未报名此活动 (the resident has not signed up)")
            raise ConflictError("已签到 (already checked in)", reason="WRONG_STATE")
        await ctx.audit("check_in", "Signup", done, ["state"])
        return CharitySignup.of(done)

    @strawberry.mutation(description="签退并记录服务时长，按活动积分标准入账 (check out, record hours, earn points)")
    async def check_out_charity_volunteer(self, info: strawberry.Info, activity_id: strawberry.ID,
                                          resident_id: strawberry.ID, hours: float | None = None) -> CharitySignup:
        ctx = context(info)
        ctx.require_permission(ACTIVITY_MANAGE)
        activity = await _activity(ctx, activity_id)
        signups = ctx.collection("signups")
        sid = signup_id(activity_id, resident_id)
        signup = await signups.find_one({"_id": sid})
        if signup is None:
            raise NotFoundError("该居民未报名此活动 (the resident has not signed up)")
        if signup["state"] != "checked_in":
            raise ConflictError("未签到或已签退 (not checked in, or checked out already)", reason="WRONG_STATE")
        recorded = _hours(hours, signup, activity, float((await ctx.settings()).max_hours_per_checkout))
        points = int(round(recorded * activity["pointsPerHour"]))
        await ensure_account(ctx, resident_id)

        async def write(tx: ModuleContext) -> CharitySignup:
            done = await tx.collection("signups").update({"_id": sid}, {
                "state": "completed", "checkedOutAt": clock.now(), "hours": recorded, "points": points,
                "checkedOutBy": ctx.caller.user_id}, expect={"state": "checked_in"})
            if done is None:
                raise ConflictError("已签退 (checked out already)", reason="WRONG_STATE")
            await post_entry(tx, resident_id, points, VOLUNTEER, f"志愿服务「{activity['title']}」{recorded:g}小时",
                             activity_id, hours=recorded)
            await tx.audit("check_out", "Signup", done, ["state", "hours", "points"])
            return CharitySignup.of(done)

        return await ctx.transaction(write)
