"""GraphQL of the hotline: caller lookup, calls, taking a call, return visits, statistics."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON

from community_plus.graphql.domains.core import _input_dict
from community_plus_sdk.relay import DEFAULT_FIRST, Connection, connection
from community_plus.graphql.domains.work_orders import CountByKey, WorkOrder
from community_plus.platform.context import Ctx
from community_plus.graphql.domains.types import Community, Resident
from community_plus.domains.inputs import window
from community_plus.domains.hotline.service import HotlineService
from community_plus.domains.work_orders.service import WorkOrderService


@strawberry.enum(description="A caller's satisfaction at the return visit (回访).")
class Satisfaction(enum.Enum):
    VERY_SATISFIED = "very_satisfied"
    SATISFIED = "satisfied"
    BASICALLY_SATISFIED = "basically_satisfied"
    DISSATISFIED = "dissatisfied"


@strawberry.enum(description="ORDER: a work order was filed; ENQUIRY: answered on the phone.")
class HotlineCallKind(enum.Enum):
    ORDER = "order"
    ENQUIRY = "enquiry"


@strawberry.type(description="One call taken at the 12349 hotline (来电记录).")
class HotlineCall:
    id: strawberry.ID
    at: datetime
    kind: HotlineCallKind
    summary: str
    caller_name: str
    registered: bool = strawberry.field(description="The caller was found as a registered resident.")
    operator_id: strawberry.ID
    operator_name: str
    community_id: strawberry.ID
    resident_id: strawberry.ID | None
    work_order_id: strawberry.ID | None
    doc: strawberry.Private[dict[str, Any]]

    @classmethod
    def of(cls, d: dict[str, Any]) -> HotlineCall:
        return cls(id=d["_id"], at=d["at"], kind=HotlineCallKind(d["kind"]), summary=d["summary"],
                   caller_name=d.get("callerName", ""), registered=d.get("registered", False),
                   operator_id=d["operatorId"], operator_name=d.get("operatorName", ""),
                   community_id=d["communityId"], resident_id=d.get("residentId"),
                   work_order_id=d.get("workOrderId"), doc=d)

    @strawberry.field(description="Masked (138****5678) unless reveal is true; a reveal is audited.")
    async def caller_phone(self, info: Ctx, reveal: bool = False) -> str | None:
        if reveal:
            return await HotlineService(info.context).reveal_phone(self.doc)
        return self.doc.get("callerPhoneMasked")

    @strawberry.field
    async def community(self, info: Ctx) -> Community:
        return Community.of(await info.context.loaders.by_id("regions").load(self.community_id))

    @strawberry.field
    async def resident(self, info: Ctx) -> Resident | None:
        d = await info.context.loaders.by_id("residents").load(self.resident_id) if self.resident_id else None
        return Resident.of(d) if d else None

    @strawberry.field
    async def work_order(self, info: Ctx) -> WorkOrder | None:
        d = await info.context.loaders.by_id("work_orders").load(self.work_order_id) if self.work_order_id else None
        return WorkOrder.of(d) if d else None


@strawberry.type(description="The return visit (回访) of a resolved hotline order.")
class ReturnVisit:
    id: strawberry.ID
    work_order_id: strawberry.ID
    at: datetime
    satisfaction: Satisfaction
    reached: bool = strawberry.field(description="The caller was reached on the phone.")
    note: str
    operator_name: str

    @classmethod
    def of(cls, d: dict[str, Any]) -> ReturnVisit:
        return cls(id=d["_id"], work_order_id=d["workOrderId"], at=d["at"], satisfaction=Satisfaction(d["satisfaction"]),
                   reached=d.get("reached", True), note=d.get("note", ""), operator_name=d.get("operatorName", ""))


@strawberry.type(description="Hotline figures over a time window.")
class HotlineStatistics:
    calls: int
    orders_filed: int
    unregistered_callers: int
    return_visits: int
    by_satisfaction: list[CountByKey] = strawberry.field(description="Keys spelled as Satisfaction.")
    satisfied_share: float | None = strawberry.field(description="Share of visits at least BASICALLY_SATISFIED.")


@strawberry.input
class TakeHotlineCallInput:
    phone: str = strawberry.field(description="The caller's number (found through the blind index).")
    summary: str = strawberry.field(description="What the caller said (来电摘要).")
    resident_id: strawberry.ID | None = strawberry.field(default=None, description="The registered resident calling; "
                                                         "omit for an unregistered caller (then give callerName and communityId).")
    caller_name: str | None = None
    community_id: strawberry.ID | None = None
    file_order: bool = strawberry.field(default=True, description="False for an enquiry answered on the phone.")
    item_id: strawberry.ID | None = None
    answers: JSON | None = None
    description: str | None = None
    longitude: float | None = None
    latitude: float | None = None
    idempotency_key: str | None = strawberry.field(default=None, description="Retries with the same key and input "
                                                   "return the first result.")


@strawberry.input
class ReturnVisitInput:
    work_order_id: strawberry.ID
    satisfaction: Satisfaction
    reached: bool = True
    note: str | None = None


@strawberry.input
class HotlineCallFilter:
    phone: str | None = strawberry.field(default=None, description="Calls from this number (blind index; audited).")
    community_id: strawberry.ID | None = None
    mine: bool | None = strawberry.field(default=None, description="Calls the viewer took.")


@strawberry.type
class HotlineQuery:
    @strawberry.field(description="Residents of the operator's region with this phone number (audited).")
    async def hotline_callers(self, info: Ctx, phone: str, first: int = DEFAULT_FIRST,
                              after: str | None = None) -> Connection[Resident]:
        return connection(await HotlineService(info.context).find_callers(phone, first, after), Resident.of)

    @strawberry.field(description="Hotline calls in the viewer's scope, newest first.")
    async def hotline_calls(self, info: Ctx, filter: HotlineCallFilter | None = None, first: int = DEFAULT_FIRST,
                            after: str | None = None) -> Connection[HotlineCall]:
        f = _input_dict(filter) if filter else {}
        return connection(await HotlineService(info.context).list_calls(f, first, after), HotlineCall.of)

    @strawberry.field
    async def hotline_call(self, info: Ctx, id: strawberry.ID) -> HotlineCall:
        return HotlineCall.of(await HotlineService(info.context).get_call(id))

    @strawberry.field(description="The return visit of a work order, if it has one.")
    async def return_visit(self, info: Ctx, work_order_id: strawberry.ID) -> ReturnVisit | None:
        order = await WorkOrderService(info.context).get(work_order_id)  # NOT_FOUND outside the viewer's scope
        d = await HotlineService(info.context).visit_of(order)
        return ReturnVisit.of(d) if d else None

    @strawberry.field(description="Hotline figures of a region or community (default: the viewer's, last 30 days).")
    async def hotline_statistics(self, info: Ctx, region_id: strawberry.ID | None = None,
                                 since: datetime | None = None, until: datetime | None = None) -> HotlineStatistics:
        since, until = window(since, until)
        s = await HotlineService(info.context).statistics(region_id, since, until)
        return HotlineStatistics(calls=s["calls"], orders_filed=s["ordersFiled"],
                                 unregistered_callers=s["unregisteredCallers"], return_visits=s["returnVisits"],
                                 by_satisfaction=[CountByKey(key=Satisfaction(k).name, count=v)
                                                  for k, v in sorted(s["bySatisfaction"].items())],
                                 satisfied_share=s["satisfiedShare"])


@strawberry.type
class HotlineMutation:
    @strawberry.mutation(description="Record a hotline call and file the work order on the caller's behalf "
                                     "(channel HOTLINE); hotline operators.")
    async def take_hotline_call(self, info: Ctx, input: TakeHotlineCallInput) -> HotlineCall:
        data = _input_dict(input)
        data["file_order"] = input.file_order
        if input.answers is not None:
            data["answers"] = input.answers
        return HotlineCall.of(await HotlineService(info.context).take_call(data))

    @strawberry.mutation(description="Record the return visit (回访) of a resolved hotline order.")
    async def record_return_visit(self, info: Ctx, input: ReturnVisitInput) -> ReturnVisit:
        data = _input_dict(input)
        data["reached"] = input.reached
        return ReturnVisit.of(await HotlineService(info.context).record_return_visit(data))
