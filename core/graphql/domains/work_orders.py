"""Service catalogue, work orders and statistics: GraphQL types, queries and mutations."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON

from community_plus.graphql.domains.catalogue import (ServiceItem, ServiceItemFilter, ServiceItemInput,
    ServiceItemState, _item_input)
from community_plus.domains.catalogue.service import CatalogueService
from community_plus.domains.statistics.service import StatisticsService
from community_plus.domains.work_orders.service import OPEN_STATES, WorkOrderService
from community_plus.graphql.domains.core import _input_dict
from community_plus.graphql.prefetch import cached_or_load, prime
from community_plus_sdk.relay import DEFAULT_FIRST, Connection, connection
from community_plus.platform.context import Ctx
from community_plus.graphql.domains.types import ActorRole, Grid, GridWorker, Resident, ResidentTag
from datetime import UTC


@strawberry.enum
class WorkOrderState(enum.Enum):
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    CLOSED = "closed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


@strawberry.enum(description="How a work order came in: the mini-program, the 12349 hotline, the service counter, "
                             "a grid worker's report, or escalated from elsewhere (linkage).")
class WorkOrderChannel(enum.Enum):
    MINI_PROGRAM = "mini_program"
    HOTLINE = "hotline"
    COUNTER = "counter"
    GRID_REPORT = "grid_report"
    ESCALATION = "escalation"


@strawberry.type(description="One entry of a work order's timeline: who did what, when.")
class WorkOrderEvent:
    at: datetime
    action: str
    from_state: WorkOrderState | None
    to_state: WorkOrderState | None
    note: str | None
    actor_id: strawberry.ID
    actor_role: ActorRole
    actor_name: str | None
    assignee_id: strawberry.ID | None = strawberry.field(description="On assign: the grid worker chosen.")
    assignee_name: str | None
    attachments: list[strawberry.ID]

    @classmethod
    def of(cls, e: dict[str, Any]) -> WorkOrderEvent:
        return cls(at=e["at"], action=e["action"], from_state=WorkOrderState(e["from"]) if e.get("from") else None,
                   to_state=WorkOrderState(e["to"]) if e.get("to") else None, note=e.get("note"),
                   actor_id=e["actorId"], actor_role=ActorRole(e["actorRole"]), actor_name=e.get("actorName"),
                   assignee_id=e.get("assigneeId"), assignee_name=e.get("assigneeName"),
                   attachments=e.get("attachments") or [])


@strawberry.type
class Rating:
    score: int
    comment: str | None
    at: datetime


@strawberry.type(description="A work order (工单): a service application or a reported problem.")
class WorkOrder:
    id: strawberry.ID
    number: str | None = strawberry.field(description="Readable number, GD<yyyymmdd>-<nnnn> per community and day.")
    kind: str = strawberry.field(description="service (an item's application) or report (a free-form problem).")
    title: str
    state: WorkOrderState
    description: str
    answers: JSON
    form_version: int | None
    location: JSON | None
    attachments: list[strawberry.ID]
    community_id: strawberry.ID
    grid_id: strawberry.ID | None
    item_id: strawberry.ID | None
    resident_id: strawberry.ID | None = strawberry.field(description="Null for a hotline caller not registered "
                                                                     "as a resident.")
    channel: WorkOrderChannel = strawberry.field(description="How the order came in (MINI_PROGRAM for older orders).")
    assignee_id: strawberry.ID | None
    due_at: datetime
    created_at: datetime
    updated_at: datetime
    reject_reason: str | None
    resolution: str | None
    rating: Rating | None
    version: int
    doc: strawberry.Private[dict[str, Any]]

    @classmethod
    def of(cls, d: dict[str, Any]) -> WorkOrder:
        r = d.get("rating")
        return cls(id=d["_id"], number=d.get("number"), kind=d["kind"], title=d["title"], state=WorkOrderState(d["state"]),
                   description=d.get("description", ""), answers=d.get("answers") or {},
                   form_version=d.get("formVersion"), location=d.get("location"), attachments=d.get("attachments", []),
                   community_id=d["communityId"], grid_id=d.get("gridId"), item_id=d.get("itemId"),
                   resident_id=d.get("residentId"), channel=WorkOrderChannel(d.get("channel") or "mini_program"),
                   assignee_id=d.get("assigneeId"), due_at=d["dueAt"],
                   created_at=d["createdAt"], updated_at=d["updatedAt"], reject_reason=d.get("rejectReason"),
                   resolution=d.get("resolution"),
                   rating=Rating(score=r["score"], comment=r.get("comment"), at=r["at"]) if r else None,
                   version=d["version"], doc=d)

    @strawberry.field(description="Open and past its due time.")
    def overdue(self) -> bool:

        return self.doc["state"] in OPEN_STATES and self.due_at < datetime.now(UTC)

    @strawberry.field
    def timeline(self) -> list[WorkOrderEvent]:
        return [WorkOrderEvent.of(e) for e in self.doc.get("timeline", [])]

    @strawberry.field
    def item(self, info: Ctx) -> ServiceItem | None:  # an awaitable unless primed (see prefetch)
        if not self.item_id:
            return None
        return cached_or_load(info.context.loaders.by_id("service_items"), self.item_id, ServiceItem.of)

    @strawberry.field(description="The form exactly as it was when this order was submitted.")
    async def form_schema(self, info: Ctx) -> JSON | None:
        if not self.item_id:
            return None
        d = await info.context.loaders.by_id("service_forms").load(f"{self.item_id}:{self.form_version}")
        return d["schema"] if d else None

    @strawberry.field
    def grid(self, info: Ctx) -> Grid | None:
        if not self.grid_id:
            return None
        return cached_or_load(info.context.loaders.by_id("grids"), self.grid_id, Grid.of)

    @strawberry.field
    def assignee(self, info: Ctx) -> GridWorker | None:
        if not self.assignee_id:
            return None
        return cached_or_load(info.context.loaders.by_id("users"), self.assignee_id, GridWorker.of)

    @strawberry.field(description="The resident the order is for (masked fields).")
    async def resident(self, info: Ctx) -> Resident | None:
        if not self.resident_id:
            return None
        d = await info.context.loaders.by_id("residents").load(self.resident_id)
        return Resident.of(d) if d else None


WORK_ORDER_RELATIONS = {("item",): ("service_items", "itemId"), ("assignee",): ("users", "assigneeId"),
                        ("grid",): ("grids", "gridId")}


@strawberry.type
class CountByKey:
    key: str
    title: str | None = None
    count: int


@strawberry.enum(description="What a statistics answer covers.")
class StatisticsScope(enum.Enum):
    GRID = "gridId"
    COMMUNITY = "communityId"
    REGION = "regionPath"


@strawberry.type(description="Work-order statistics over a time window. Keys are spelled as the schema's enums: "
                             "byState by WorkOrderState (SUBMITTED…), byPriorityGroup by ResidentTag (ELDERLY…); "
                             "byItem by service item id (report for free-form problem reports).")
class Statistics:
    scope: StatisticsScope
    scope_id: strawberry.ID
    since: datetime
    until: datetime
    total: int
    by_state: list[CountByKey]
    by_item: list[CountByKey]
    by_priority_group: list[CountByKey]
    by_channel: list[CountByKey] = strawberry.field(description="Keys spelled as WorkOrderChannel (HOTLINE…).")
    resolved_count: int
    handling_hours_median: float | None
    handling_hours_p90: float | None
    average_rating: float | None
    rated_count: int
    overdue_count: int
    overdue_share: float

    @classmethod
    def of(cls, s: dict[str, Any]) -> Statistics:
        return cls(scope=StatisticsScope(s["scope"]), scope_id=s["scopeId"], since=s["since"], until=s["until"],
                   total=s["total"],
                   by_state=[CountByKey(key=WorkOrderState(k).name, count=v) for k, v in sorted(s["byState"].items())],
                   by_item=[CountByKey(key=r["itemId"] or "report", title=r["title"], count=r["count"]) for r in s["byItem"]],
                   by_priority_group=[CountByKey(key=ResidentTag(k).name, count=v)
                                      for k, v in s["byPriorityGroup"].items()],
                   by_channel=[CountByKey(key=WorkOrderChannel(k).name, count=v) for k, v in sorted(s["byChannel"].items())],
                   resolved_count=s["resolvedCount"], handling_hours_median=s["handlingHoursMedian"],
                   handling_hours_p90=s["handlingHoursP90"], average_rating=s["averageRating"],
                   rated_count=s["ratedCount"], overdue_count=s["overdueCount"], overdue_share=s["overdueShare"])


@strawberry.input
class SubmitWorkOrderInput:
    item_id: strawberry.ID | None = strawberry.field(default=None, description="Omit for a free-form problem report.")
    answers: JSON | None = None
    description: str | None = None
    longitude: float | None = strawberry.field(default=None, description="Where the problem is (WGS84); the point must "
                                                 "lie in a grid of the resident's community, which then handles it.")
    latitude: float | None = None
    attachments: list[strawberry.ID] | None = strawberry.field(default=None, description="Uploaded files; a file also "
                                                               "given in the answers is attached once.")
    resident_id: strawberry.ID | None = strawberry.field(default=None, description="Yourself by default; a ward, or (staff) a resident.")
    idempotency_key: str | None = strawberry.field(default=None, description="Retries with the same key and input return the first result.")


@strawberry.input
class WorkOrderFilter:
    number: str | None = strawberry.field(default=None, description="A readable number (GD20261201-0042).")
    states: list[WorkOrderState] | None = None
    item_id: strawberry.ID | None = None
    grid_id: strawberry.ID | None = None
    resident_id: strawberry.ID | None = None
    community_id: strawberry.ID | None = None
    assigned_to_me: bool | None = None
    overdue: bool | None = None
    channels: list[WorkOrderChannel] | None = None
    since: datetime | None = strawberry.field(default=None, description="Created at or after (no offset: UTC).")
    until: datetime | None = strawberry.field(default=None, description="Created before (no offset: UTC).")


@strawberry.type
class ServicesQuery:
    @strawberry.field
    async def service_items(self, info: Ctx, filter: ServiceItemFilter | None = None, first: int = DEFAULT_FIRST,
                            after: str | None = None) -> Connection[ServiceItem]:
        f = _input_dict(filter) if filter else {}
        return connection(await CatalogueService(info.context).list(f, first, after), ServiceItem.of)

    @strawberry.field
    async def service_item(self, info: Ctx, id: strawberry.ID) -> ServiceItem:
        return ServiceItem.of(await CatalogueService(info.context).get(id))

    @strawberry.field
    async def work_order(self, info: Ctx, id: strawberry.ID) -> WorkOrder:
        return WorkOrder.of(await WorkOrderService(info.context).get(id))

    @strawberry.field(description="Newest first.")
    async def work_orders(self, info: Ctx, filter: WorkOrderFilter | None = None, first: int = DEFAULT_FIRST,
                          after: str | None = None) -> Connection[WorkOrder]:
        f = _input_dict(filter) if filter else {}
        page = await WorkOrderService(info.context).list(f, first, after)
        await prime(info, page.docs, WORK_ORDER_RELATIONS)
        return connection(page, WorkOrder.of)

    @strawberry.field(description="Work-order statistics of a grid, community or region subtree (default: last 30 days).")
    async def statistics(self, info: Ctx, grid_id: strawberry.ID | None = None,
                         community_id: strawberry.ID | None = None, region_id: strawberry.ID | None = None,
                         since: datetime | None = None, until: datetime | None = None) -> Statistics:
        return Statistics.of(await StatisticsService(info.context).compute(
            grid_id=grid_id, community_id=community_id, region_id=region_id, since=since, until=until))


@strawberry.type
class ServicesMutation:
    @strawberry.mutation(description="Create a draft service item (community or region admins).")
    async def create_service_item(self, info: Ctx, input: ServiceItemInput) -> ServiceItem:
        return ServiceItem.of(await CatalogueService(info.context).create(_item_input(input)))

    @strawberry.mutation
    async def update_service_item(self, info: Ctx, id: strawberry.ID, input: ServiceItemInput) -> ServiceItem:
        return ServiceItem.of(await CatalogueService(info.context).update(id, _item_input(input)))

    @strawberry.mutation(description="Publish, pause or archive a service item.")
    async def set_service_item_state(self, info: Ctx, id: strawberry.ID, state: ServiceItemState) -> ServiceItem:
        return ServiceItem.of(await CatalogueService(info.context).set_state(id, state.value))

    @strawberry.mutation
    async def submit_work_order(self, info: Ctx, input: SubmitWorkOrderInput) -> WorkOrder:
        data = _input_dict(input)
        if input.answers is not None:
            data["answers"] = input.answers
        return WorkOrder.of(await WorkOrderService(info.context).submit(data))

    @strawberry.mutation
    async def accept_work_order(self, info: Ctx, id: strawberry.ID, version: int | None = None,
                                note: str | None = None) -> WorkOrder:
        return WorkOrder.of(await WorkOrderService(info.context).accept(id, version, note))

    @strawberry.mutation
    async def reject_work_order(self, info: Ctx, id: strawberry.ID, reason: str, version: int | None = None) -> WorkOrder:
        return WorkOrder.of(await WorkOrderService(info.context).reject(id, reason, version))

    @strawberry.mutation(description="Assign to a grid worker (default: the worker of the order's grid).")
    async def assign_work_order(self, info: Ctx, id: strawberry.ID, assignee_id: strawberry.ID | None = None,
                                version: int | None = None, note: str | None = None) -> WorkOrder:
        return WorkOrder.of(await WorkOrderService(info.context).assign(id, assignee_id, version, note))

    @strawberry.mutation
    async def start_work_order(self, info: Ctx, id: strawberry.ID, version: int | None = None,
                               note: str | None = None) -> WorkOrder:
        return WorkOrder.of(await WorkOrderService(info.context).start(id, version, note))

    @strawberry.mutation
    async def resolve_work_order(self, info: Ctx, id: strawberry.ID, note: str | None = None,
                                 attachments: list[strawberry.ID] | None = None, version: int | None = None) -> WorkOrder:
        return WorkOrder.of(await WorkOrderService(info.context).resolve(id, note, list(attachments or []), version))

    @strawberry.mutation(description="Rate a resolved order 1–5; this closes it.")
    async def rate_work_order(self, info: Ctx, id: strawberry.ID, score: int, comment: str | None = None,
                              idempotency_key: str | None = None) -> WorkOrder:
        return WorkOrder.of(await WorkOrderService(info.context).rate(id, score, comment, idempotency_key))

    @strawberry.mutation(description="Cancel before work starts (the resident).")
    async def cancel_work_order(self, info: Ctx, id: strawberry.ID, reason: str | None = None,
                                version: int | None = None) -> WorkOrder:
        return WorkOrder.of(await WorkOrderService(info.context).cancel(id, reason, version))

    @strawberry.mutation(description="Add a handling note (and photos) to the timeline (staff).")
    async def add_work_order_note(self, info: Ctx, id: strawberry.ID, note: str,
                                  attachments: list[strawberry.ID] | None = None) -> WorkOrder:
        return WorkOrder.of(await WorkOrderService(info.context).add_note(id, note, list(attachments or [])))
