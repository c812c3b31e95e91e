"""Output types. Amounts are integer fen (分; 100 fen = 1 yuan); durations are minutes."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

import strawberry

from community_plus_sdk.clock import age_on, china_date

from ..elders import ElderService
from ..manifest import module
from ..workers import WorkerService


@strawberry.enum(description="Lifecycle of a care order: placed → dispatched → in service (checked in) → "
                             "completed (checked out, awaiting confirmation) → confirmed (rated); or cancelled.")
class CareOrderState(enum.Enum):
    PLACED = "placed"
    DISPATCHED = "dispatched"
    IN_SERVICE = "in_service"
    COMPLETED = "completed"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"


@strawberry.enum(description="Whether someone has handled an alert.")
class CareAlertState(enum.Enum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"


def _state(value: str | None) -> CareOrderState | None:
    return CareOrderState(value) if value else None


@strawberry.type(description="An elder's subsidy entitlement and use in one month.")
class CareSubsidyBalance:
    elder_id: strawberry.ID
    month: str
    rule: str | None = strawberry.field(description="The subsidy rule that applies; null: not eligible.")
    coverage_percent: int
    entitled_minutes: int
    used_minutes: int
    used_fen: int
    remaining_minutes: int

    @classmethod
    def of(cls, d: dict[str, Any]) -> CareSubsidyBalance:
        return cls(**d)


@strawberry.type(description="老人档案: an enrolled elder, their home location and family guardians.")
class ElderProfile:
    id: strawberry.ID = strawberry.field(description="The elder's resident id.")
    resident_id: strawberry.ID
    name: str | None
    gender: str | None = strawberry.field(description="As Gender spells it (MALE, FEMALE).")
    birth_date: date | None
    age: int | None
    tags: list[str] = strawberry.field(description="Resident tags, spelled as ResidentTag (LOW_INCOME).")
    grid_id: strawberry.ID | None
    home_address: str
    longitude: float
    latitude: float
    masked_contact_phone: strawberry.Private[str | None]
    care_notes: str | None
    guardian_resident_ids: list[strawberry.ID]
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime
    subsidy: CareSubsidyBalance | None = strawberry.field(
        description="This month's subsidy balance (or the month asked for).")

    @classmethod
    def of(cls, d: dict[str, Any], balance: dict[str, Any] | None = None) -> ElderProfile:
        birth = d.get("birthDate")
        return cls(id=d["_id"], resident_id=d["residentId"], name=d.get("name"),
                   gender=d["gender"].upper() if d.get("gender") else None,
                   birth_date=birth.date() if isinstance(birth, datetime) else birth, age=age_on(birth, china_date()),
                   tags=[t.upper() for t in d.get("tags") or []], grid_id=d.get("gridId"), home_address=d["homeAddress"],
                   longitude=d["longitude"], latitude=d["latitude"], masked_contact_phone=d.get("contactPhone"),
                   care_notes=d.get("careNotes"), guardian_resident_ids=list(d.get("guardianResidentIds") or []),
                   active=d.get("active", True), version=d.get("version", 1), created_at=d["createdAt"],
                   updated_at=d["updatedAt"], subsidy=CareSubsidyBalance.of(balance) if balance else None)

    @strawberry.field(description="联系电话：默认脱敏 (masked, 138****5678); reveal: true gives the full number to "
                                  "whoever may see this profile (audited).")
    async def contact_phone(self, info: strawberry.Info, reveal: bool = False) -> str | None:
        if not reveal or self.masked_contact_phone is None:
            return self.masked_contact_phone
        return await ElderService(module.context(info)).reveal_contact_phone(self.id)


@strawberry.type(description="护理员: a care worker of a provider.")
class CareWorker:
    id: strawberry.ID
    provider_id: strawberry.ID
    provider_name: str | None
    name: str
    masked_phone: strawberry.Private[str | None]
    skills: list[str]
    can_dispatch: bool = strawberry.field(description="Dispatches the provider's orders.")
    active: bool
    bound: bool = strawberry.field(description="A mini-program account is bound to this worker.")
    user_name: str | None
    binding_code: str | None = strawberry.field(
        description="One-time code the worker enters in bindCareWorkerAccount (shown to community admins only).")
    version: int
    created_at: datetime

    @classmethod
    def of(cls, d: dict[str, Any], show_code: bool = False) -> CareWorker:
        return cls(id=d["_id"], provider_id=d["providerId"], provider_name=d.get("providerName"), name=d["name"],
                   masked_phone=d.get("phone"), skills=list(d.get("skills") or []), can_dispatch=bool(d.get("canDispatch")),
                   active=d.get("active", True), bound=bool(d.get("userId")), user_name=d.get("userName"),
                   binding_code=d.get("bindingCode") if show_code else None, version=d.get("version", 1),
                   created_at=d["createdAt"])

    @strawberry.field(description="手机号：默认脱敏 (masked, 138****5678); reveal: true gives the full number to "
                                  "provider managers, the provider's dispatchers and the worker (audited).")
    async def phone(self, info: strawberry.Info, reveal: bool = False) -> str | None:
        if not reveal or self.masked_phone is None:
            return self.masked_phone
        return await WorkerService(module.context(info)).reveal_phone(self.id)


@strawberry.type(description="Where and when a care worker checked in or out.")
class CareVisitStamp:
    at: datetime
    longitude: float
    latitude: float
    distance_meters: int = strawberry.field(description="Distance from the elder's home.")
    late_minutes: int

    @classmethod
    def of(cls, d: dict[str, Any] | None) -> CareVisitStamp | None:
        if not d:
            return None
        return cls(at=d["at"], longitude=d["longitude"], latitude=d["latitude"], distance_meters=d["distanceMeters"],
                   late_minutes=d.get("lateMinutes", 0))


@strawberry.type(description="One step in an order's history.")
class CareOrderEvent:
    at: datetime
    action: str
    from_state: CareOrderState | None
    to_state: CareOrderState | None
    actor_role: str = strawberry.field(description="As Role spells it (COMMUNITY_ADMIN…), or SYSTEM.")
    actor_name: str | None
    note: str | None


@strawberry.type(description="护理订单: a home-care visit ordered for an elder, with its subsidy split.")
class CareOrder:
    id: strawberry.ID
    state: CareOrderState
    elder_id: strawberry.ID
    elder_name: str | None
    grid_id: strawberry.ID | None
    home_address: str | None
    home_longitude: float | None
    home_latitude: float | None
    care_notes: str | None
    provider_id: strawberry.ID
    provider_name: str | None
    item_id: strawberry.ID
    item_name: str
    category: str
    duration_minutes: int
    slot_start: datetime
    slot_end: datetime
    month: str = strawberry.field(description="Month of the visit (YYYY-MM, China time): the statement it is on.")
    note: str | None
    worker_id: strawberry.ID | None
    worker_name: str | None
    total_fen: int
    subsidy_fen: int = strawberry.field(description="Paid by the government subsidy.")
    paid_fen: int = strawberry.field(description="Paid by the elder or family.")
    subsidised_minutes: int
    subsidy_rule: str | None
    placed_by_role: str = strawberry.field(description="As Role spells it (RESIDENT, GRID_WORKER…).")
    created_at: datetime
    dispatched_at: datetime | None
    checked_in_at: datetime | None
    completed_at: datetime | None
    confirmed_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str | None
    check_in: CareVisitStamp | None
    check_out: CareVisitStamp | None
    actual_minutes: int | None
    service_summary: str | None
    service_tasks: list[str]
    photo_ids: list[strawberry.ID] = strawberry.field(description="Photos of the service (read them with `file(id)`).")
    rating: int | None
    rating_comment: str | None
    overdue: bool = strawberry.field(description="An overdue check-in alert was raised for this visit.")
    timeline: list[CareOrderEvent]
    version: int

    @classmethod
    def of(cls, d: dict[str, Any]) -> CareOrder:
        return cls(
            id=d["_id"], state=CareOrderState(d["state"]), elder_id=d["elderId"], elder_name=d.get("elderName"),
            grid_id=d.get("gridId"), home_address=d.get("homeAddress"), home_longitude=d.get("homeLongitude"),
            home_latitude=d.get("homeLatitude"), care_notes=d.get("careNotes"), provider_id=d["providerId"],
            provider_name=d.get("providerName"), item_id=d["itemId"], item_name=d["itemName"], category=d["category"],
            duration_minutes=d["durationMinutes"], slot_start=d["slotStart"], slot_end=d["slotEnd"], month=d["month"],
            note=d.get("note"), worker_id=d.get("workerId"), worker_name=d.get("workerName"), total_fen=d["totalFen"],
            subsidy_fen=d["subsidyFen"], paid_fen=d["paidFen"], subsidised_minutes=d["subsidisedMinutes"],
            subsidy_rule=d.get("subsidyRule"), placed_by_role=d["placedByRole"].upper(), created_at=d["createdAt"],
            dispatched_at=d.get("dispatchedAt"), checked_in_at=d.get("checkedInAt"), completed_at=d.get("completedAt"),
            confirmed_at=d.get("confirmedAt"), cancelled_at=d.get("cancelledAt"), cancel_reason=d.get("cancelReason"),
            check_in=CareVisitStamp.of(d.get("checkIn")), check_out=CareVisitStamp.of(d.get("checkOut")),
            actual_minutes=d.get("actualMinutes"), service_summary=d.get("serviceSummary"),
            service_tasks=list(d.get("serviceTasks") or []), photo_ids=list(d.get("photoIds") or []),
            rating=d.get("rating"), rating_comment=d.get("ratingComment"),
            overdue=d.get("overdueAlertedAt") is not None,
            timeline=[CareOrderEvent(at=e["at"], action=e["action"], from_state=_state(e.get("from")),
                                     to_state=_state(e.get("to")), actor_role=e["actorRole"].upper(),
                                     actor_name=e.get("actorName"), note=e.get("note"))
                      for e in d.get("timeline", [])],
            version=d.get("version", 1))


@strawberry.type(description="What an order would cost now: the subsidised and the paid part (nothing reserved).")
class CareOrderQuote:
    elder_id: strawberry.ID
    item_id: strawberry.ID
    item_name: str
    provider_id: strawberry.ID
    provider_name: str
    slot_start: datetime
    slot_end: datetime
    duration_minutes: int
    total_fen: int
    subsidy_fen: int
    paid_fen: int
    subsidised_minutes: int
    subsidy_rule: str | None
    limited_by: str | None = strawberry.field(
        description="Why the subsidy is less than full coverage: 'hours' (monthly hours used up) or 'budget' "
                    "(the community's monthly budget is spent); null otherwise.")


@strawberry.type(description="The community's subsidy budget for a month.")
class CareSubsidyBudget:
    month: str
    budget_fen: int
    spent_fen: int
    remaining_fen: int


@strawberry.type(description="One visit on a statement.")
class CareStatementLine:
    order_id: strawberry.ID
    slot_start: datetime
    item_name: str
    provider_name: str | None
    worker_name: str | None
    state: CareOrderState
    duration_minutes: int
    total_fen: int
    subsidy_fen: int
    paid_fen: int
    subsidised_minutes: int
    rating: int | None

    @classmethod
    def of(cls, d: dict[str, Any]) -> CareStatementLine:
        return cls(order_id=d["_id"], slot_start=d["slotStart"], item_name=d["itemName"],
                   provider_name=d.get("providerName"), worker_name=d.get("workerName"),
                   state=CareOrderState(d["state"]), duration_minutes=d["durationMinutes"], total_fen=d["totalFen"],
                   subsidy_fen=d["subsidyFen"], paid_fen=d["paidFen"], subsidised_minutes=d["subsidisedMinutes"],
                   rating=d.get("rating"))


@strawberry.type(description="An elder's monthly statement: every non-cancelled visit of the month.")
class CareElderStatement:
    elder_id: strawberry.ID
    elder_name: str | None
    month: str
    lines: list[CareStatementLine]
    order_count: int
    completed_count: int
    service_minutes: int
    subsidised_minutes: int
    total_fen: int
    subsidy_fen: int
    paid_fen: int
    rating_count: int
    average_rating: float | None

    @classmethod
    def of(cls, d: dict[str, Any]) -> CareElderStatement:
        return cls(**{**d, "lines": [CareStatementLine.of(r) for r in d["lines"]]})


@strawberry.type(description="A provider's figures for one catalogue item in a month.")
class CareProviderStatementItem:
    item_id: strawberry.ID
    item_name: str | None
    order_count: int
    completed_count: int
    service_minutes: int
    subsidised_minutes: int
    total_fen: int
    subsidy_fen: int
    paid_fen: int


@strawberry.type(description="A provider's monthly statement: subsidy receivable and amounts paid by elders.")
class CareProviderStatement:
    provider_id: strawberry.ID
    provider_name: str
    month: str
    items: list[CareProviderStatementItem]
    order_count: int
    completed_count: int
    service_minutes: int
    subsidised_minutes: int
    total_fen: int
    subsidy_fen: int
    paid_fen: int
    rating_count: int
    average_rating: float | None

    @classmethod
    def of(cls, d: dict[str, Any]) -> CareProviderStatement:
        return cls(**{**d, "items": [CareProviderStatementItem(**i) for i in d["items"]]})


@strawberry.type(description="A safety alert for grid workers, e.g. a care visit not checked in on time.")
class CareAlert:
    id: strawberry.ID
    kind: str
    state: CareAlertState
    order_id: strawberry.ID
    elder_id: strawberry.ID
    elder_name: str | None
    grid_id: strawberry.ID | None
    item_name: str | None
    provider_name: str | None
    worker_name: str | None
    slot_start: datetime
    raised_at: datetime
    overdue_minutes: int
    acknowledged_at: datetime | None
    acknowledged_by_name: str | None
    note: str | None

    @classmethod
    def of(cls, d: dict[str, Any]) -> CareAlert:
        return cls(id=d["_id"], kind=d["kind"], state=CareAlertState(d["state"]), order_id=d["orderId"],
                   elder_id=d["elderId"], elder_name=d.get("elderName"), grid_id=d.get("gridId"),
                   item_name=d.get("itemName"), provider_name=d.get("providerName"), worker_name=d.get("workerName"),
                   slot_start=d["slotStart"], raised_at=d["raisedAt"], overdue_minutes=d.get("overdueMinutes", 0),
                   acknowledged_at=d.get("acknowledgedAt"), acknowledged_by_name=d.get("acknowledgedByName"),
                   note=d.get("note"))
