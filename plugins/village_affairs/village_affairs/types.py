"""GraphQL types of 村务公开. Enums are spelled as the schema spells them everywhere; stored
values are their lower-case names."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import strawberry

from .catalogue import CatalogueEntry
from .disclosures import state_of


@strawberry.enum(description="What is disclosed: finances (财务), assets (资产), projects (工程项目), "
                             "subsidies (补贴), decisions (重大事项决策).")
class VillageAffairsCategory(enum.Enum):
    FINANCES = "finances"
    ASSETS = "assets"
    PROJECTS = "projects"
    SUBSIDIES = "subsidies"
    DECISIONS = "decisions"


@strawberry.enum(description="SCHEDULED until publishAt, PUBLISHED until expiresAt, then EXPIRED; or WITHDRAWN.")
class VillageDisclosureState(enum.Enum):
    SCHEDULED = "scheduled"
    PUBLISHED = "published"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


@strawberry.enum(description="How often a catalogue item is disclosed.")
class VillageDisclosureFrequency(enum.Enum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    YEARLY = "yearly"


@strawberry.enum(description="A catalogue period: DISCLOSED (on time), DISCLOSED_LATE, SCHEDULED (before its due "
                             "date), PENDING (not due yet) or OVERDUE (due and not disclosed).")
class VillageCatalogueStatus(enum.Enum):
    DISCLOSED = "disclosed"
    DISCLOSED_LATE = "disclosed_late"
    SCHEDULED = "scheduled"
    PENDING = "pending"
    OVERDUE = "overdue"


@strawberry.enum
class VillageAffairsQuestionState(enum.Enum):
    ASKED = "asked"
    ANSWERED = "answered"


@strawberry.type(description="公开事项: one disclosure to the community's residents.")
class VillageDisclosure:
    id: strawberry.ID
    category: VillageAffairsCategory
    title: str
    body: str | None
    period: str | None = strawberry.field(description="The period disclosed: 2026, 2026-Q1 or 2026-03.")
    requirement_id: strawberry.ID | None = strawberry.field(description="The catalogue item it fulfils.")
    attachment_ids: list[strawberry.ID] = strawberry.field(description="Uploaded files (query file(id) for URLs).")
    publish_at: datetime
    expires_at: datetime | None
    state: VillageDisclosureState
    read_count: int = strawberry.field(description="Residents who opened it (each once).")
    question_count: int
    published_by_name: str | None
    created_at: datetime

    @classmethod
    def of(cls, d: dict[str, Any]) -> VillageDisclosure:
        return cls(id=d["_id"], category=VillageAffairsCategory(d["category"]), title=d["title"], body=d.get("body"),
                   period=d.get("period"), requirement_id=d.get("requirementId"),
                   attachment_ids=list(d.get("attachmentIds") or []), publish_at=d["publishAt"],
                   expires_at=d.get("expiresAt"), state=VillageDisclosureState(state_of(d)),
                   read_count=d.get("readCount", 0), question_count=d.get("questionCount", 0),
                   published_by_name=(d.get("publishedBy") or {}).get("name"), created_at=d["createdAt"])


@strawberry.type(description="A resident's question on a disclosure and its official answer (asker not shown).")
class VillageAffairsQuestion:
    id: strawberry.ID
    disclosure_id: strawberry.ID
    text: str
    state: VillageAffairsQuestionState
    answer: str | None
    answered_by_name: str | None
    answered_at: datetime | None
    asked_at: datetime

    @classmethod
    def of(cls, d: dict[str, Any]) -> VillageAffairsQuestion:
        a = d.get("answer") or {}
        return cls(id=d["_id"], disclosure_id=d["disclosureId"], text=d["text"],
                   state=VillageAffairsQuestionState(d["state"]), answer=a.get("text"),
                   answered_by_name=a.get("byName"), answered_at=d.get("answeredAt"), asked_at=d["createdAt"])


@strawberry.type(description="An item of a year's disclosure catalogue.")
class VillageDisclosureRequirement:
    id: strawberry.ID
    year: int
    category: VillageAffairsCategory
    title: str
    frequency: VillageDisclosureFrequency

    @classmethod
    def of(cls, d: dict[str, Any]) -> VillageDisclosureRequirement:
        return cls(id=d["_id"], year=d["year"], category=VillageAffairsCategory(d["category"]), title=d["title"],
                   frequency=VillageDisclosureFrequency(d["frequency"]))


@strawberry.type(description="One period of a catalogue item and whether it was disclosed.")
class VillageCatalogueEntry:
    requirement: VillageDisclosureRequirement
    period: str
    due_at: datetime
    status: VillageCatalogueStatus
    disclosure_id: strawberry.ID | None
    disclosed_at: datetime | None

    @classmethod
    def of(cls, e: CatalogueEntry) -> VillageCatalogueEntry:
        return cls(requirement=VillageDisclosureRequirement.of(e.requirement), period=e.period, due_at=e.due_at,
                   status=VillageCatalogueStatus(e.status), disclosure_id=e.disclosure["_id"] if e.disclosure else None,
                   disclosed_at=e.disclosure["publishAt"] if e.disclosure else None)


@strawberry.type(description="A year's catalogue in figures.")
class VillageCatalogueSummary:
    year: int
    periods: int
    disclosed: int
    disclosed_late: int
    scheduled: int
    pending: int
    overdue: int


@strawberry.input
class PublishVillageDisclosureInput:
    category: VillageAffairsCategory
    title: str
    body: str | None = None
    period: str | None = strawberry.field(default=None, description="2026, 2026-Q1 or 2026-03.")
    requirement_id: strawberry.ID | None = strawberry.field(default=None, description="The catalogue item fulfilled.")
    attachment_ids: list[strawberry.ID] = strawberry.field(default_factory=list, description="Uploaded file ids.")
    publish_at: datetime | None = strawberry.field(default=None, description="Scheduled publication (default: now).")
    expires_at: datetime | None = None


@strawberry.input
class SaveVillageDisclosureRequirementInput:
    year: int
    category: VillageAffairsCategory
    title: str
    frequency: VillageDisclosureFrequency


@strawberry.input
class VillageDisclosureFilter:
    category: VillageAffairsCategory | None = None
    state: VillageDisclosureState | None = strawberry.field(default=None, description="Staff; residents see PUBLISHED.")
