"""GraphQL API of home visits: `recordVisit`, `visits`, `visit`, visit plans and `visitsDue`
(for the grid worker's Today screen, next to `workOrders(filter: {assignedToMe: true})`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import strawberry

from community_plus_sdk.relay import DEFAULT_FIRST, Connection, connection
from community_plus.platform.context import Ctx
from community_plus.graphql.domains.types import Resident, ResidentTag, Visit, VisitPurpose
from community_plus.domains.visits.service import VisitService


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
