"""Home visits: grid workers record visits to residents of their grids; community admins set
visit plans per priority group (e.g. LIVING_ALONE every 7 days) and see every visit.

A visit's location is checked against the resident's grid boundary (shapely): the check is
recorded (`IN_GRID`, `OUTSIDE_GRID`, `NO_LOCATION`, `NO_GRID`), never used to refuse a visit
(a worker may meet a resident elsewhere). A visit needing follow-up files a work order for the
resident through the work-order service (the grid worker submits on the resident's behalf).
Photos go through the media upload flow and are attached to the visit; whoever may see the
visit may see them. Reading a resident's visit history is audited (`visit_history_read`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from shapely.geometry import Point, shape

from community_plus.platform.context import RequestContext
from community_plus.platform.errors import BadUserInput, FieldErrors, Forbidden, NotFound
from community_plus.domains.media.service import register_entity_visibility, release_files
from community_plus.platform.repository import Page, new_id
from community_plus.domains.audit import service as audit
from community_plus.domains.work_orders.attachments import attach, unique_files
from community_plus.domains.residents.service import TAGS
from community_plus.domains.work_orders.service import WorkOrderService
from community_plus.platform.validation import as_utc
from community_plus.domains.visits.repository import VisitPlanRepository, VisitRepository

ENTITY = "visit"
RECORDERS = ("grid_worker", "community_admin")
READERS = ("platform_admin", "region_admin", "community_admin", "grid_worker")
PLANNERS = ("platform_admin", "region_admin", "community_admin")
PURPOSES = ("routine", "care", "safety", "policy", "dispute", "other")
MAX_NOTES, MAX_PHOTOS, MAX_INTERVAL = 2000, 9, 366
DUE_AHEAD = timedelta(days=2)  # "due" = due within two days; before that it is not listed
MAX_DUE_SCAN = 2000  # priority-group residents looked at per request
EXTRAS_KEY = "visits.repositories"


@dataclass(slots=True)
class VisitRepositories:
    visits: VisitRepository
    plans: VisitPlanRepository

    @classmethod
    def of(cls, platform) -> VisitRepositories:
        found = platform.parts.get(EXTRAS_KEY)
        if found is None:
            found = platform.parts[EXTRAS_KEY] = cls(VisitRepository(platform.db), VisitPlanRepository(platform.db))
        return found

    def all(self) -> list:
        return [self.visits, self.plans]


@dataclass(slots=True)
class DueVisit:
    resident: dict[str, Any]
    tag: str
    interval_days: int
    last_visited_at: datetime | None
    due_at: datetime | None  # None: never visited

    def overdue(self, now: datetime) -> bool:
        return self.due_at is None or self.due_at < now


def location_check(grid: dict[str, Any] | None, lon: float | None, lat: float | None) -> str:
    if lon is None or lat is None:
        return "no_location"
    if grid is None:
        return "no_grid"
    return "in_grid" if shape(grid["boundary"]).intersects(Point(lon, lat)) else "outside_grid"


class VisitService:
    def __init__(self, ctx: RequestContext) -> None:
        self.ctx, self.p, self.scope = ctx, ctx.platform, ctx.scope
        self.repos = VisitRepositories.of(self.p)

    def visible_filter(self) -> dict[str, Any]:
        pr = self.scope.require_role(*READERS)
        f = self.scope.community_filter()
        if pr.role == "grid_worker":
            f = {**f, "gridId": {"$in": list(pr.grid_ids)}}
        return f

    # -- visits ------------------------------------------------------------------------------
    async def record(self, data: dict[str, Any]) -> dict[str, Any]:
        pr = self.scope.require_role(*RECORDERS)
        resident = await self.p.residents.get(data.get("resident_id") or "", self.scope.resident_filter())
        if resident is None:
            raise NotFound("resident")
        errors = FieldErrors()
        purpose = data.get("purpose") or "routine"
        if purpose not in PURPOSES:
            errors.add("input.purpose", f"未知的走访目的 (use one of {', '.join(p.upper() for p in PURPOSES)})")
        notes = (data.get("notes") or "").strip()
        if len(notes) > MAX_NOTES:
            errors.add("input.notes", f"最多{MAX_NOTES}字 (at most {MAX_NOTES} characters)")
        photos = data.get("photos") or []
        if len(photos) > MAX_PHOTOS:
            errors.add("input.photos", f"最多{MAX_PHOTOS}张 (at most {MAX_PHOTOS} photos)")
        lon, lat = data.get("longitude"), data.get("latitude")
        if (lon is None) != (lat is None):
            errors.add("input.longitude" if lon is None else "input.latitude",
                       "经度和纬度需同时提供 (give both longitude and latitude)")
        if lon is not None and not -180 <= lon <= 180:
            errors.add("input.longitude", "经度应在 -180 到 180 之间 (longitude must be within -180..180)")
        if lat is not None and not -90 <= lat <= 90:
            errors.add("input.latitude", "纬度应在 -90 到 90 之间 (latitude must be within -90..90)")
        now = datetime.now(UTC)
        visited_at = as_utc(data["visited_at"]) if data.get("visited_at") else now
        if visited_at > now + timedelta(minutes=5) or visited_at < now - timedelta(days=30):
            errors.add("input.visitedAt", "走访时间应在最近30天内且不晚于现在 (within the last 30 days, not in the future)")
        follow_up = data.get("follow_up")
        if follow_up is not None and not (follow_up.get("description") or "").strip():
            errors.add("input.followUp.description", "请描述需要跟进的问题 (describe what needs follow-up)")
        errors.raise_if_any()
        grid = await self.p.grids.get(resident["gridId"]) if resident.get("gridId") else None
        visit_id = new_id()
        files = unique_files([(fid, f"input.photos.{i}") for i, fid in enumerate(photos)])
        await attach(self.ctx, files, ENTITY, visit_id, community_id=resident["communityId"])
        doc = {"_id": visit_id, "communityId": resident["communityId"], "regionPath": resident["regionPath"],
               "gridId": resident.get("gridId"), "residentId": resident["_id"], "workerId": pr.user_id,
               "workerName": pr.display_name, "workerRole": pr.role, "purpose": purpose, "notes": notes,
               "photos": [fid for fid, _ in files],
               "location": {"type": "Point", "coordinates": [lon, lat]} if lon is not None else None,
               "locationCheck": location_check(grid, lon, lat), "visitedAt": visited_at,
               "followUp": follow_up is not None, "workOrderId": None, "createdAt": now}
        stored = await self.repos.visits.insert(doc)  # a retry (Idempotency-Key) finds the first attempt's
        if follow_up is not None and stored.get("workOrderId") is None:
            stored = await self._follow_up(stored, resident, follow_up)
        await audit.record(self.ctx, "visit", "resident", resident, [], visitId=stored["_id"])
        return stored

    async def _follow_up(self, visit: dict[str, Any], resident: dict[str, Any], follow_up: dict[str, Any]
                         ) -> dict[str, Any]:
        """File the follow-up work order (keyed by the visit: a retry finds the same order)."""
        try:
            order = await WorkOrderService(self.ctx).submit({
                "resident_id": resident["_id"], "description": follow_up["description"].strip(),
                "idempotency_key": f"visit:{visit['_id']}",
                **({"item_id": follow_up["item_id"]} if follow_up.get("item_id") else {})})
        except BaseException:
            await self.repos.visits.delete(visit["_id"])  # no visit without its order
            await release_files(self.ctx, ENTITY, visit["_id"])
            raise
        return await self.repos.visits.set_work_order(visit["_id"], order["_id"]) or visit

    async def get(self, id: str) -> dict[str, Any]:
        doc = await self.repos.visits.get(id, self.visible_filter())
        if doc is None:
            raise NotFound("visit")
        return doc

    async def list(self, f: dict[str, Any], first: int, after: str | None) -> Page:
        query: dict[str, Any] = {}
        if f.get("resident_id"):
            query["residentId"] = f["resident_id"]
        if f.get("grid_id"):
            query["gridId"] = f["grid_id"]
        if f.get("follow_up") is not None:
            query["followUp"] = f["follow_up"]
        scope = self.visible_filter()
        page = await self.repos.visits.page_of(query, scope, first, after)
        if f.get("resident_id") and page.docs:
            await self._audit_history([f["resident_id"]], page.docs)
        return page

    async def history(self, resident_ids: list[str], per_resident: int) -> dict[str, list[dict[str, Any]]]:
        """The latest visits of residents the caller has already loaded (audited per resident)."""
        pr = self.scope.require()
        if pr.role not in READERS:
            raise Forbidden("走访记录仅对工作人员开放 (visit histories are for staff)")
        found = await self.repos.visits.latest_of(resident_ids, self.visible_filter(), per_resident)
        await self._audit_history(list(found), [])
        return found

    async def _audit_history(self, resident_ids: list[str], docs: list[dict[str, Any]]) -> None:
        residents = await self.ctx.loaders.by_id("residents").load_many(resident_ids)
        await self.p.audit.append_many([audit.entry(self.ctx, "visit_history_read", "resident", r, ["visits"])
                                        for r in residents if r])

    # -- plans -------------------------------------------------------------------------------
    async def _community(self, community_id: str | None) -> dict[str, Any]:
        pr = self.scope.require()
        cid = community_id or self.scope.community_id or pr.community_id
        community = await self.ctx.loaders.by_id("regions").load(cid) if cid else None
        if community is None or community.get("level") != "community" or not self.scope.covers_community(community):
            raise BadUserInput({"communityId": "请指定您管辖范围内的社区 (give a community in your scope)"})
        return community

    async def set_plan(self, community_id: str | None, tag: str, interval_days: int) -> dict[str, Any]:
        pr = self.scope.require_role(*PLANNERS)
        community = await self._community(community_id)
        errors = FieldErrors()
        if tag not in TAGS:
            errors.add("tag", "未知标签 (use a ResidentTag value)")
        if not 1 <= interval_days <= MAX_INTERVAL:
            errors.add("intervalDays", f"应在 1 到 {MAX_INTERVAL} 天之间 (between 1 and {MAX_INTERVAL} days)")
        errors.raise_if_any()
        now = datetime.now(UTC)
        plan = await self.repos.plans.put({"_id": f"{community['_id']}:{tag}", "communityId": community["_id"],
                                           "regionPath": [*community["path"], community["_id"]], "tag": tag,
                                           "intervalDays": interval_days, "updatedAt": now,
                                           "updatedBy": pr.user_id})
        await audit.record(self.ctx, "visit_plan_set", "visit_plan", plan, ["intervalDays"])
        return plan

    async def remove_plan(self, community_id: str | None, tag: str) -> bool:
        self.scope.require_role(*PLANNERS)
        community = await self._community(community_id)
        return await self.repos.plans.remove(f"{community['_id']}:{tag}", {"communityId": community["_id"]})

    async def plans(self, community_id: str | None) -> list[dict[str, Any]]:
        self.scope.require_role(*READERS)
        community = await self._community(community_id)
        return await self.repos.plans.of_communities([community["_id"]])

    async def due(self, first: int, now: datetime | None = None) -> tuple[list[DueVisit], int, int]:
        """Residents in the caller's scope whose planned visit is due within two days or overdue:
        (the first `first`, overdue first; how many in all; how many overdue)."""
        pr = self.scope.require_role(*RECORDERS)
        now = now or datetime.now(UTC)
        if not 0 <= first <= 100:
            raise BadUserInput({"first": "应在 0 到 100 之间 (between 0 and 100)"})
        community_id = self.scope.community_id or pr.community_id
        plans = {p["tag"]: p for p in await self.repos.plans.of_communities([community_id] if community_id else [])}
        if not plans:
            return [], 0, 0
        residents = await self.p.residents.with_any_tag(self.scope.resident_filter(), list(plans), MAX_DUE_SCAN)
        last = await self.repos.visits.last_visits([r["_id"] for r in residents])
        due: list[DueVisit] = []
        for r in residents:
            tag = min((t for t in r.get("tags", []) if t in plans), key=lambda t: plans[t]["intervalDays"])
            interval = plans[tag]["intervalDays"]
            at = last.get(r["_id"])
            due_at = at + timedelta(days=interval) if at else None
            if due_at is None or due_at <= now + DUE_AHEAD:
                due.append(DueVisit(r, tag, interval, at, due_at))
        due.sort(key=lambda d: (d.due_at is not None, d.due_at or now, d.resident["_id"]))
        return due[:first], len(due), sum(1 for d in due if d.overdue(now))


def register_visit_files(platform) -> None:
    """Whoever may see a visit may see its photos."""

    async def can_see(ctx: RequestContext, visit_id: str) -> bool:
        try:
            await VisitService(ctx).get(visit_id)
            return True
        except (NotFound, Forbidden):
            return False

    register_entity_visibility(platform, ENTITY, can_see)
