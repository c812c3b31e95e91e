"""GraphQL of the linkage command: departments, the holder's queue, an order's hops, the
moves (escalate, dispatch, hand back, resolve) and statistics per level and department."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

import strawberry

from community_plus_sdk.relay import DEFAULT_FIRST, Connection, connection
from community_plus.graphql.domains.work_orders import WorkOrder
from community_plus.platform.context import Ctx
from community_plus.domains.inputs import window
from community_plus.domains.linkage.departments import DepartmentService
from community_plus.domains.linkage.service import LinkageService


@strawberry.enum(description="Who holds an escalated order: a community, a region level, or a department.")
class LinkageLevel(enum.Enum):
    COMMUNITY = "community"
    STREET = "street"
    DISTRICT = "district"
    CITY = "city"
    PROVINCE = "province"
    DEPARTMENT = "department"


@strawberry.enum
class LinkageAction(enum.Enum):
    ESCALATE = "escalate"
    DISPATCH = "dispatch"
    HAND_BACK = "hand_back"


@strawberry.enum(description="How a hop ended: passed up, to a department, back down, or resolved.")
class LinkageOutcome(enum.Enum):
    ESCALATED = "escalated"
    DISPATCHED = "dispatched"
    HANDED_BACK = "handed_back"
    RESOLVED = "resolved"


@strawberry.type(description="A functional department (职能部门) under a region, with its own staff and queue.")
class Department:
    id: strawberry.ID
    name: str
    description: str
    region_id: strawberry.ID
    region_level: str

    @classmethod
    def of(cls, d: dict[str, Any]) -> Department:
        return cls(id=d["_id"], name=d["name"], description=d.get("description", ""), region_id=d["regionId"],
                   region_level=d.get("regionLevel", ""))


@strawberry.type(description="One hop of an order through the linkage command: who got it from whom, why, by when.")
class LinkageHop:
    id: strawberry.ID
    work_order_id: strawberry.ID
    action: LinkageAction
    level: LinkageLevel = strawberry.field(description="The level that received the order.")
    holder_id: strawberry.ID
    holder_name: str
    from_level: LinkageLevel
    from_name: str
    text: str = strawberry.field(description="The reason (escalate) or the instructions (dispatch, hand back).")
    at: datetime
    due_at: datetime
    open: bool
    outcome: LinkageOutcome | None
    closed_at: datetime | None
    actor_name: str

    @classmethod
    def of(cls, d: dict[str, Any]) -> LinkageHop:
        f = d.get("from") or {}
        return cls(id=d["_id"], work_order_id=d["orderId"], action=LinkageAction(d["action"]),
                   level=LinkageLevel(d["holderLevel"]), holder_id=d["holderId"], holder_name=d.get("holderName", ""),
                   from_level=LinkageLevel(f.get("holderLevel", "community")), from_name=f.get("holderName", ""),
                   text=d.get("text", ""), at=d["at"], due_at=d["dueAt"], open=d["state"] == "open",
                   outcome=LinkageOutcome(d["outcome"]) if d.get("outcome") else None, closed_at=d.get("closedAt"),
                   actor_name=d.get("actorName", ""))

    @strawberry.field(description="Open and past its level's due time.")
    def overdue(self) -> bool:
        return self.open and self.due_at < datetime.now(UTC)

    @strawberry.field
    async def work_order(self, info: Ctx) -> WorkOrder | None:
        d = await info.context.loaders.by_id("work_orders").load(self.work_order_id)
        return WorkOrder.of(d) if d else None


@strawberry.type(description="Linkage figures of one level or department.")
class LinkageFigures:
    key: str = strawberry.field(description="A LinkageLevel (STREET…) or a department id.")
    title: str | None
    received: int
    resolved: int
    passed_on: int = strawberry.field(description="Escalated further or dispatched to a department.")
    handed_back: int
    open: int
    overdue: int

    @classmethod
    def of(cls, key: str, r: dict[str, Any]) -> LinkageFigures:
        return cls(key=key, title=r.get("title"), received=r["received"], resolved=r["resolved"],
                   passed_on=r["passedOn"], handed_back=r["handedBack"], open=r["open"], overdue=r["overdue"])


@strawberry.type
class LinkageStatistics:
    region_id: strawberry.ID
    since: datetime
    until: datetime
    by_level: list[LinkageFigures]
    by_department: list[LinkageFigures]


@strawberry.input
class DepartmentInput:
    region_id: strawberry.ID = strawberry.field(description="A street, district, city or province.")
    name: str
    description: str | None = None


@strawberry.type
class LinkageQuery:
    @strawberry.field(description="Departments the viewer may see (region admins: their subtree).")
    async def departments(self, info: Ctx, region_id: strawberry.ID | None = None, first: int = DEFAULT_FIRST,
                          after: str | None = None) -> Connection[Department]:
        return connection(await DepartmentService(info.context).list(region_id, first, after), Department.of)

    @strawberry.field(description="Orders waiting for the viewer's level or department (newest first).")
    async def linkage_queue(self, info: Ctx, include_closed: bool = False, first: int = DEFAULT_FIRST,
                            after: str | None = None) -> Connection[LinkageHop]:
        page = await LinkageService(info.context).queue(include_closed, first, after)
        return connection(page, LinkageHop.of)

    @strawberry.field(description="Every hop of one order, oldest first.")
    async def linkage_hops(self, info: Ctx, work_order_id: strawberry.ID, first: int = DEFAULT_FIRST,
                           after: str | None = None) -> Connection[LinkageHop]:
        return connection(await LinkageService(info.context).hops_of(work_order_id, first, after), LinkageHop.of)

    @strawberry.field(description="Hops per level and per department in a region subtree (default: last 30 days).")
    async def linkage_statistics(self, info: Ctx, region_id: strawberry.ID | None = None,
                                 since: datetime | None = None, until: datetime | None = None) -> LinkageStatistics:
        since, until = window(since, until)
        s = await LinkageService(info.context).statistics(region_id, since, until)
        return LinkageStatistics(region_id=s["regionId"], since=s["since"], until=s["until"],
                                 by_level=[LinkageFigures.of(LinkageLevel(r["_id"]).name, r) for r in s["byLevel"]],
                                 by_department=[LinkageFigures.of(r["_id"], r) for r in s["byDepartment"]])


@strawberry.type
class LinkageMutation:
    @strawberry.mutation(description="Create a functional department under a region (its admins).")
    async def create_department(self, info: Ctx, input: DepartmentInput) -> Department:
        data = {"region_id": input.region_id, "name": input.name, "description": input.description}
        return Department.of(await DepartmentService(info.context).create(data))

    @strawberry.mutation(description="Escalate an order to the level above (the current holder, with a reason).")
    async def escalate_work_order(self, info: Ctx, id: strawberry.ID, reason: str,
                                  version: int | None = None) -> WorkOrder:
        return WorkOrder.of(await LinkageService(info.context).escalate(id, reason, version))

    @strawberry.mutation(description="Hand an order to a department of the holder's level, with instructions.")
    async def dispatch_work_order(self, info: Ctx, id: strawberry.ID, department_id: strawberry.ID,
                                  instructions: str, version: int | None = None) -> WorkOrder:
        return WorkOrder.of(await LinkageService(info.context).dispatch(id, department_id, instructions, version))

    @strawberry.mutation(description="Hand an order back to whoever passed it up or over, with instructions.")
    async def hand_back_work_order(self, info: Ctx, id: strawberry.ID, instructions: str,
                                   version: int | None = None) -> WorkOrder:
        return WorkOrder.of(await LinkageService(info.context).hand_back(id, instructions, version))

    @strawberry.mutation(description="Resolve an escalated order (the level or department holding it).")
    async def resolve_escalated_work_order(self, info: Ctx, id: strawberry.ID, note: str,
                                           version: int | None = None) -> WorkOrder:
        return WorkOrder.of(await LinkageService(info.context).resolve(id, note, version))
