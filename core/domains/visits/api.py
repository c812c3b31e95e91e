"""GraphQL API of home visits: `recordVisit`, `visits`, `visit`, visit plans and `visitsDue`
(for the grid worker's Today screen, next to `workOrders(filter: {assignedToMe: true})`)."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

import strawberry
from strawberry.dataloader import DataLoader

from community_plus.platform.errors import BadUserInput
from community_plus_sdk.relay import DEFAULT_FIRST, Connection, connection
from community_plus.graphql.types import Ctx, Resident, ResidentTag
from community_plus.domains.visits.service import VisitService


@strawberry.enum(description="Why a resident was visited.")
class VisitPurpose(enum.Enum):
    ROUTINE = "routine"
    CARE = "care"
    SAFETY = "safety"
    POLICY = "policy"
    DISPUTE = "dispute"
    OTHER = "other"


@strawberry.enum(description="The visit's location against the resident's grid boundary.")
class VisitLocationCheck(enum.Enum):
    IN_GRID = "in_grid"
    OUTSIDE_GRID = "outside_grid"
    NO_LOCATION = "no_location"
    NO_GRID = "no_grid"


@strawberry.type(description="A home visit (走访) to a resident.")
class Visit:
    id: strawberry.ID
    community_id: strawberry.ID
    grid_id: strawberry.ID | None
    resident_id: strawberry.ID
    worker_id: strawberry.ID
    worker_name: str
    purpose: VisitPurpose
    notes: str
    photo_ids: list[strawberry.ID] = strawberry.field(description="Files (media); read them with file(id).")
    longitude: float | None
    latitude: float | None
    location_check: VisitLocationCheck
    visited_at: datetime
    follow_up: bool
    work_order_id: strawberry.ID | None = strawberry.field(description="The follow-up work order, if any.")
    created_at: datetime

    @classmethod
    def of(cls, d: dict[str, Any]) -> Visit:
        coords = (d.get("location") or {}).get("coordinates") or (None, None)
        return cls(id=d["_id"], community_id=d["communityId"], grid_id=d.get("gridId"), resident_id=d["residentId"],
                   worker_id=d["workerId"], worker_name=d.get("workerName") or "", purpose=VisitPurpose(d["purpose"]),
                   notes=d.get("notes", ""), photo_ids=d.get("photos", []), longitude=coords[0], latitude=coords[1],
                   location_check=VisitLocationCheck(d["locationCheck"]), visited_at=d["visitedAt"],
                   follow_up=d.get("followUp", False), work_order_id=d.get("workOrderId"), created_at=d["createdAt"])

    @strawberry.field
    async def resident(self, info: Ctx) -> Resident | None:
        d = await info.context.loaders.by_id("residents").load(self.resident_id)
        return Resident.of(d) if d else None


@strawberry.type(description="Visit plan: residents with this tag are visited every intervalDays days.")
class VisitPlan:
    id: strawberry.ID
    community_id: strawberry.ID
    tag: ResidentTag
    interval_days: int
    updated_at: datetime

    @classmethod
    def of(cls, d: dict[str, Any]) -> VisitPlan:
        return cls(id=d["_id"], community_id=d["communityId"], tag=ResidentTag(d["tag"]),
                   interval_days=d["intervalDays"], updated_at=d["updatedAt"])


@strawberry.type(description="A resident whose planned visit is due (within two days) or overdue.")
class DueVisit:
    resident: Resident
    tag: ResidentTag = strawberry.field(description="The priority group whose plan applies.")
    interval_days: int
    last_visited_at: datetime | None
    due_at: datetime | None = strawberry.field(description="Null when never visited (overdue).")
    overdue: bool


@strawberry.type
class VisitsDue:
    total_count: int
    overdue_count: int
    items: list[DueVisit] = strawberry.field(description="Overdue first, then by due time.")


@strawberry.input
class VisitFollowUpInput:
    description: str
    item_id: strawberry.ID | None = strawberry.field(default=None, description="A service item, if one fits.")


@strawberry.input
class RecordVisitInput:
    resident_id: strawberry.ID
    purpose: VisitPurpose = VisitPurpose.ROUTINE
    notes: str | None = None
    photos: list[strawberry.ID] | None = strawberry.field(default=None, description="Uploaded file ids (photo).")
    longitude: float | None = None
    latitude: float | None = None
    visited_at: datetime | None = strawberry.field(default=None, description="Defaults to now; within 30 days.")
    follow_up: VisitFollowUpInput | None = strawberry.field(default=None,
                                                            description="Files a work order for the resident.")


@strawberry.input
class VisitFilter:
    resident_id: strawberry.ID | None = None
    grid_id: strawberry.ID | None = None
    follow_up: bool | None = None


def _record_input(i: RecordVisitInput) -> dict[str, Any]:
    return {"resident_id": i.resident_id, "purpose": i.purpose.value, "notes": i.notes, "photos": i.photos,
            "longitude": i.longitude, "latitude": i.latitude, "visited_at": i.visited_at,
            "follow_up": {"description": i.follow_up.description, "item_id": i.follow_up.item_id}
            if i.follow_up else None}


@strawberry.type
class VisitsQuery:
    @strawberry.field(description="Visits in the viewer's scope (grid workers: their grids), newest first.")
    async def visits(self, info: Ctx, filter: VisitFilter | None = None, first: int = DEFAULT_FIRST,
                     after: str | None = None) -> Connection[Visit]:
        f = {"resident_id": filter.resident_id, "grid_id": filter.grid_id, "follow_up": filter.follow_up} \
            if filter else {}
        return connection(await VisitService(info.context).list(f, first, after), Visit.of)

    @strawberry.field
    async def visit(self, info: Ctx, id: strawberry.ID) -> Visit:
        return Visit.of(await VisitService(info.context).get(id))

    @strawberry.field(description="The community's visit plans.")
    async def visit_plans(self, info: Ctx, community_id: strawberry.ID | None = None) -> list[VisitPlan]:
        return [VisitPlan.of(d) for d in await VisitService(info.context).plans(community_id)]

    @strawberry.field(description="Planned visits due within two days or overdue (grid workers: their grids).")
    async def visits_due(self, info: Ctx, first: int = DEFAULT_FIRST) -> VisitsDue:
        items, total, overdue = await VisitService(info.context).due(first)
        now = datetime.now(UTC)
        docs = await info.context.loaders.by_id("residents").load_many([d.resident["_id"] for d in items])
        return VisitsDue(total_count=total, overdue_count=overdue, items=[
            DueVisit(resident=Resident.of(doc), tag=ResidentTag(d.tag), interval_days=d.interval_days,
                     last_visited_at=d.last_visited_at, due_at=d.due_at, overdue=d.overdue(now))
            for d, doc in zip(items, docs, strict=True) if doc])


@strawberry.type
class VisitsMutation:
    @strawberry.mutation(description="Record a home visit (grid workers: residents of their grids).")
    async def record_visit(self, info: Ctx, input: RecordVisitInput) -> Visit:
        return Visit.of(await VisitService(info.context).record(_record_input(input)))

    @strawberry.mutation(description="Visit residents with this tag every intervalDays days (community admins).")
    async def set_visit_plan(self, info: Ctx, tag: ResidentTag, interval_days: int,
                             community_id: strawberry.ID | None = None) -> VisitPlan:
        return VisitPlan.of(await VisitService(info.context).set_plan(community_id, tag.value, interval_days))

    @strawberry.mutation
    async def remove_visit_plan(self, info: Ctx, tag: ResidentTag, community_id: strawberry.ID | None = None) -> bool:
        return await VisitService(info.context).remove_plan(community_id, tag.value)


async def resident_visits(info: Ctx, resident_id: str, first: int) -> list[Visit]:
    """`Resident.visits`: one aggregation for every resident of the response (a DataLoader)."""
    if not 1 <= first <= 20:
        raise BadUserInput({"first": "应在 1 到 20 之间 (between 1 and 20)"})

    def factory() -> DataLoader:
        async def load(ids: list[str]) -> list[list[dict[str, Any]]]:
            found = await VisitService(info.context).history(ids, first)
            return [found.get(i, []) for i in ids]

        return DataLoader(load_fn=load)

    loader = info.context.loaders.custom(f"resident_visits:{first}", factory)
    return [Visit.of(d) for d in await loader.load(resident_id)]
