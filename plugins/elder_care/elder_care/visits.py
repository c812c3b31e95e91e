"""The visit workflow after an order is placed: dispatch to a care worker, check-in and
check-out at the elder's home (location and time checked), the service record, and the
elder's or family's confirmation with a rating. Retried calls by the same person are
answered with the order as it is (check-in, check-out, confirmation are idempotent)."""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta
from typing import Any

from community_plus_sdk import ConflictError, ForbiddenError, ModuleContext, UserInputError
from community_plus_sdk.clock import CHINA, clock

from .access import Actor
from .checks import Problems
from .geo import haversine_m
from .manifest import ElderCareSettings
from .workflow import ACTIVE, COMPLETED, CONFIRMED, DISPATCHED, IN_SERVICE, OPEN, state_conflict, transition

_FILE_ID = re.compile(r"^[0-9a-f]{24}$")
MAX_PHOTOS = 9
VISITS_PAGE = "/pages/elder_care/visits"
ORDER_PAGE = "/pages/elder_care/order"


def too_far(distance: float, limit: int) -> UserInputError:
    msg = (f"距老人住址约{round(distance)}米，超出{limit}米范围，请到老人家中签到 "
           f"(you are about {round(distance)} m from the elder's home; check in within {limit} m)")
    err = UserInputError({"input.longitude": msg, "input.latitude": msg}, message=msg)
    err.extensions.update(reason="TOO_FAR_FROM_HOME", distanceMeters=round(distance), maxDistanceMeters=limit)
    return err


class VisitService:
    def __init__(self, ctx: ModuleContext) -> None:
        self.ctx = ctx
        self.actor = Actor(ctx)

    def _notify_ids(self, *ids: str | None) -> list[str]:
        return sorted({i for i in ids if i and i != self.actor.caller.user_id})

    # -- dispatch ---------------------------------------------------------------------------
    async def dispatch(self, order_id: str, worker_id: str) -> dict[str, Any]:
        """Assign (or reassign) a care worker of the order's provider."""
        caller = self.actor.caller
        order = await self.actor.visible_order(order_id)
        if not await self.actor.can_dispatch(order["providerId"]):
            raise ForbiddenError("只有该机构的调度员或社区管理员可以派单 (only the provider's dispatchers or community "
                                 "admins may dispatch)")
        if order["state"] not in OPEN:
            raise state_conflict(order["state"], "dispatch")
        worker = await self.ctx.collection("care_workers").find_one({"_id": worker_id})
        if worker is None or worker["providerId"] != order["providerId"] or not worker.get("active", True):
            raise UserInputError({"workerId": "护理员不存在、已停用或不属于该机构 (no such active worker of this provider)"})
        if not worker.get("userId"):
            raise UserInputError({"workerId": "该护理员尚未绑定账号，无法签到 (the worker has not bound an account yet)"})
        if worker.get("skills") and order["category"] not in worker["skills"]:
            raise UserInputError({"workerId": "该护理员不具备此项服务技能 (the worker lacks this skill)"})
        if order["state"] == DISPATCHED and order.get("workerId") == worker_id:
            return order
        now = clock.now()
        action = "reassign" if order["state"] == DISPATCHED else "dispatch"
        previous = order.get("workerId")

        async def write(tx) -> dict[str, Any]:
            clash = await tx.collection("orders").find_one({
                "workerId": worker_id, "state": {"$in": list(ACTIVE)}, "_id": {"$ne": order_id},
                "slotStart": {"$lt": order["slotEnd"]}, "slotEnd": {"$gt": order["slotStart"]}})
            if clash is not None:
                raise ConflictError("该护理员在此时段已有其他上门服务 (the worker has an overlapping visit)",
                                    reason="WORKER_BUSY", orderId=clash["_id"])
            # touching the worker row serialises concurrent dispatches to the same worker
            if await tx.collection("care_workers").update({"_id": worker_id}, {"lastDispatchedAt": now},
                                                          expect={"active": True}) is None:
                raise ConflictError("护理员已停用 (the worker was deactivated meanwhile)")
            updated = await transition(tx.collection("orders"), order, caller, action, DISPATCHED,
                                       {"workerId": worker_id, "workerName": worker["name"], "dispatchedAt": now},
                                       now)
            await tx.notify([worker["userId"]], f"上门服务：{order['itemName']}", "已派单", VISITS_PAGE)
            if family := self._notify_ids(order["placedBy"]):
                await tx.notify(family, f"护理员{worker['name']}将为您服务", "已派单", ORDER_PAGE)
            if previous and previous != worker_id:
                old = await tx.collection("care_workers").find_one({"_id": previous})
                if old and old.get("userId"):
                    await tx.notify([old["userId"]], f"服务已改派：{order['itemName']}", "已改派", VISITS_PAGE)
            return updated

        updated = await self.ctx.transaction(write)
        await self.ctx.audit(action, "CareOrder", updated, ["workerId", "state"])
        return updated

    # -- at the elder's home ------------------------------------------------------------------
    async def _assigned(self, order_id: str, action: str) -> dict[str, Any]:
        order = await self.actor.visible_order(order_id)
        if not await self.actor.is_assigned_worker(order):
            raise ForbiddenError(f"只有被派单的护理员可以{action} (only the dispatched care worker may do this)")
        return order

    async def _distance(self, order: dict[str, Any], longitude: float, latitude: float,
                        settings: ElderCareSettings) -> float:
        elder = await self.ctx.collection("elders").find_one({"_id": order["elderId"]}) or {}
        home_lon = elder.get("longitude", order.get("homeLongitude"))
        home_lat = elder.get("latitude", order.get("homeLatitude"))
        distance = haversine_m(home_lon, home_lat, longitude, latitude)
        if distance > settings.max_check_in_distance_meters:
            raise too_far(distance, settings.max_check_in_distance_meters)
        return distance

    async def check_in(self, order_id: str, longitude: float, latitude: float) -> dict[str, Any]:
        caller = self.actor.caller
        order = await self._assigned(order_id, "签到")
        if order["state"] == IN_SERVICE:
            return order
        if order["state"] != DISPATCHED:
            raise state_conflict(order["state"], "check in")
        p = Problems()
        p.coordinates("input", longitude, latitude)
        p.raise_if_any()
        settings = await self.ctx.settings()
        now = clock.now()
        earliest = order["slotStart"] - timedelta(minutes=settings.check_in_early_minutes)
        if now < earliest:
            raise ConflictError(f"未到签到时间，最早 {earliest.astimezone(CHINA):%m-%d %H:%M} 可签到 "
                                f"(too early: check in from {earliest.isoformat()})", reason="TOO_EARLY")
        distance = await self._distance(order, longitude, latitude, settings)
        late = max(0, int((now - order["slotStart"]).total_seconds() // 60))
        stamp = {"at": now, "longitude": longitude, "latitude": latitude, "distanceMeters": round(distance),
                 "lateMinutes": late}

        async def write(tx) -> dict[str, Any]:
            updated = await transition(tx.collection("orders"), order, caller, "check_in", IN_SERVICE,
                                       {"checkIn": stamp, "checkedInAt": now}, now)
            if family := self._notify_ids(order["placedBy"]):
                await tx.notify(family, f"护理员已到达：{order['itemName']}", "服务中", ORDER_PAGE)
            return updated

        updated = await self.ctx.transaction(write)
        await self.ctx.audit("check_in", "CareOrder", updated, ["state", "checkIn"])
        return updated

    async def check_out(self, data: dict[str, Any]) -> dict[str, Any]:
        """Check out and record the service: a summary, the tasks done and optional photos."""
        caller = self.actor.caller
        order_id = data["order_id"]
        order = await self._assigned(order_id, "签退")
        if order["state"] in (COMPLETED, CONFIRMED):
            return order
        if order["state"] != IN_SERVICE:
            raise state_conflict(order["state"], "check out")
        p = Problems()
        p.coordinates("input", data.get("longitude"), data.get("latitude"))
        summary = p.text("input.summary", data.get("summary"), max_length=1000, required=True)
        tasks = []
        for i, task in enumerate((data.get("tasks") or [])[:21]):
            if (text := p.text(f"input.tasks.{i}", task, max_length=50, required=True)) is not None:
                tasks.append(text)
        if len(data.get("tasks") or []) > 20:
            p.add("input.tasks", "最多20项 (at most 20 tasks)")
        photos = list(dict.fromkeys(data.get("photo_ids") or []))
        if len(photos) > MAX_PHOTOS:
            p.add("input.photoIds", f"最多{MAX_PHOTOS}张照片 (at most {MAX_PHOTOS} photos)")
        for i, fid in enumerate(photos):
            if not _FILE_ID.match(fid):
                p.add(f"input.photoIds.{i}", "应为上传文件的 id (must be the id of an uploaded file)")
        p.raise_if_any()
        settings = await self.ctx.settings()
        distance = await self._distance(order, data["longitude"], data["latitude"], settings)
        await self.ctx.attach_files(photos, "CareOrder", order_id,  # BAD_USER_INPUT names unusable files
                                    [f"input.photoIds.{i}" for i in range(len(photos))])
        now = clock.now()
        started = order.get("checkedInAt") or now
        changes = {"checkOut": {"at": now, "longitude": data["longitude"], "latitude": data["latitude"],
                                "distanceMeters": round(distance), "lateMinutes": 0},
                   "completedAt": now, "actualMinutes": max(1, math.ceil((now - started).total_seconds() / 60)),
                   "serviceSummary": summary, "serviceTasks": tasks, "photoIds": photos}

        async def write(tx) -> dict[str, Any]:
            updated = await transition(tx.collection("orders"), order, caller, "check_out", COMPLETED, changes, now)
            if family := self._notify_ids(order["placedBy"]):
                await tx.notify(family, f"服务已完成，请确认评价：{order['itemName']}", "待确认", ORDER_PAGE)
            return updated

        updated = await self.ctx.transaction(write)
        await self.ctx.audit("check_out", "CareOrder", updated, ["state", "serviceSummary", "photoIds"])
        return updated

    # -- confirmation -----------------------------------------------------------------------
    async def confirm(self, order_id: str, rating: int, comment: str | None) -> dict[str, Any]:
        caller = self.actor.caller
        order = await self.actor.visible_order(order_id)
        elder = await self.ctx.collection("elders").find_one({"_id": order["elderId"]})
        if order["placedBy"] != caller.user_id and not (elder and await self.actor.can_act_for(elder)):
            raise ForbiddenError("只有老人、家属或社区工作人员可以确认 (only the elder, family or staff may confirm)")
        if order["state"] == CONFIRMED:
            return order
        if order["state"] != COMPLETED:
            raise state_conflict(order["state"], "confirm")
        p = Problems()
        p.number("input.rating", rating, low=1, high=5, required=True)
        comment = p.text("input.comment", comment, max_length=300)
        p.raise_if_any()
        if comment and await self.ctx.check_content(comment) == "risky":
            raise UserInputError({"input.comment": "评价内容未通过安全检查 (the comment did not pass the content check)"})
        worker = await self.ctx.collection("care_workers").find_one({"_id": order.get("workerId")}) or {}
        now = clock.now()

        async def write(tx) -> dict[str, Any]:
            updated = await transition(tx.collection("orders"), order, caller, "confirm", CONFIRMED,
                                       {"rating": rating, "ratingComment": comment, "confirmedAt": now,
                                        "ratedBy": caller.user_id}, now)
            if ids := self._notify_ids(worker.get("userId")):
                await tx.notify(ids, f"服务已评价：{rating}星", "已完成", VISITS_PAGE)
            return updated

        updated = await self.ctx.transaction(write)
        await self.ctx.audit("confirm", "CareOrder", updated, ["state", "rating"])
        return updated

    # -- the care worker's day ------------------------------------------------------------------
    async def my_visits(self, start: datetime, end: datetime) -> list[dict[str, Any]]:
        """Visits dispatched to the caller's care-worker records within [start, end)."""
        workers = [w["_id"] for w in await self.actor.worker_records()]
        if not workers:
            return []
        return await self.ctx.collection("orders").find(
            {"workerId": {"$in": workers}, "slotStart": {"$gte": start, "$lt": end}}, sort=[("slotStart", 1)],
            limit=200)
