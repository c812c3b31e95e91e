"""GraphQL types of the service catalogue: service items, their eligibility and application
form, and the inputs that create, change and filter them (the queries and mutations are in
`graphql/domains/work_orders.py`'s `ServicesQuery`/`ServicesMutation`)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON

from community_plus.graphql.domains.core import _input_dict
from community_plus.graphql.domains.types import ResidentTag


@strawberry.enum(description="public: government service; volunteer: mutual aid; commercial: convenience.")
class ServiceKind(enum.Enum):
    PUBLIC = "public"
    VOLUNTEER = "volunteer"
    COMMERCIAL = "commercial"


@strawberry.enum
class ServiceItemState(enum.Enum):
    DRAFT = "draft"
    PUBLISHED = "published"
    PAUSED = "paused"
    ARCHIVED = "archived"


@strawberry.type
class Eligibility:
    tags: list[ResidentTag] = strawberry.field(description="Any of these tags qualifies; empty means everyone.")
    age_min: int | None
    age_max: int | None
    registration_required: bool


@strawberry.type(description="A service item (服务事项) with its eligibility rules and application form.")
class ServiceItem:
    id: strawberry.ID
    title: str
    description: str
    kind: ServiceKind
    category: str
    provider: str | None
    materials: list[str]
    sla_hours: int = strawberry.field(description="Target handling time.")
    state: ServiceItemState
    eligibility: Eligibility
    form: JSON = strawberry.field(description="The current application form as JSON Schema.")
    form_version: int
    community_id: strawberry.ID | None
    region_id: strawberry.ID | None
    version: int
    updated_at: datetime

    @classmethod
    def of(cls, d: dict[str, Any]) -> ServiceItem:
        e = d.get("eligibility") or {}
        return cls(id=d["_id"], title=d["title"], description=d.get("description", ""), kind=ServiceKind(d["kind"]),
                   category=d.get("category", ""), provider=d.get("provider"), materials=d.get("materials", []),
                   sla_hours=d["slaHours"], state=ServiceItemState(d["state"]),
                   eligibility=Eligibility(tags=[ResidentTag(t) for t in e.get("tags") or []], age_min=e.get("ageMin"),
                                           age_max=e.get("ageMax"),
                                           registration_required=bool(e.get("registrationRequired"))),
                   form=d["form"], form_version=d["formVersion"], community_id=d.get("communityId"),
                   region_id=d.get("regionId"), version=d["version"], updated_at=d["updatedAt"])


@strawberry.input
class EligibilityInput:
    tags: list[ResidentTag] | None = None
    age_min: int | None = None
    age_max: int | None = None
    registration_required: bool | None = None


@strawberry.input
class ServiceItemInput:
    title: str | None = None
    description: str | None = None
    kind: ServiceKind | None = None
    category: str | None = None
    provider: str | None = None
    materials: list[str] | None = None
    sla_hours: int | None = None
    eligibility: EligibilityInput | None = None
    form: JSON | None = strawberry.field(default=None, description="Application form as JSON Schema; a change makes a new version.")
    community_id: strawberry.ID | None = strawberry.field(default=None, description="Owner community (on create).")
    region_id: strawberry.ID | None = strawberry.field(default=None, description="Owner region: the item serves all communities below it.")
    version: int | None = strawberry.field(default=None, description="On update: fail with CONFLICT if changed meanwhile.")


@strawberry.input
class ServiceItemFilter:
    community_id: strawberry.ID | None = None
    kind: ServiceKind | None = None
    category: str | None = None
    states: list[ServiceItemState] | None = None
    eligible_only: bool | None = strawberry.field(default=None, description="Only items the resident may apply for.")
    resident_id: strawberry.ID | None = None


def _item_input(i: ServiceItemInput) -> dict[str, Any]:
    d = _input_dict(i)
    if i.eligibility is not None:
        d["eligibility"] = _input_dict(i.eligibility)
    if i.form is not None:
        d["form"] = i.form
    return d
