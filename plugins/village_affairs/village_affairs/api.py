"""Queries and mutations of 村务公开 (thin resolvers over the services)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import strawberry

from community_plus_sdk import UserInputError
from community_plus_sdk.relay import Connection, connection, from_rows, paginate

from .access import is_staff, member
from .catalogue import CatalogueService, check_year
from .disclosures import DisclosureDraft, DisclosureService, public_now, staff_state
from .manifest import module
from .questions import QuestionService
from .types import (PublishVillageDisclosureInput, SaveVillageDisclosureRequirementInput, VillageAffairsQuestion,
                    VillageAffairsQuestionState, VillageCatalogueEntry, VillageCatalogueStatus,
                    VillageCatalogueSummary, VillageDisclosure, VillageDisclosureFilter,
                    VillageDisclosureRequirement)


def _disclosure_query(ctx, f: VillageDisclosureFilter) -> dict[str, Any]:
    caller = member(ctx)
    now = ctx.now()
    if is_staff(caller):
        query = staff_state(f.state.value, now) if f.state else {}
    elif f.state and f.state.value != "published":
        raise UserInputError({"filter.state": "居民只能查看已公开事项 (residents see PUBLISHED disclosures only)"})
    else:
        query = public_now(now)
    if f.category:
        query = {**query, "category": f.category.value}
    return query


@strawberry.type
class VillageAffairsQuery:
    @strawberry.field(description="Disclosures, newest first (residents: what is public now; staff: every state).")
    async def village_disclosures(self, info: strawberry.Info, filter: VillageDisclosureFilter | None = None,
                                  first: int = 20, after: str | None = None) -> Connection[VillageDisclosure]:
        ctx = module.context(info)
        query = _disclosure_query(ctx, filter or VillageDisclosureFilter())
        return connection(await paginate(ctx.collection("disclosures"), query, first, after), VillageDisclosure.of)

    @strawberry.field(description="One disclosure (residents: while it is public).")
    async def village_disclosure(self, info: strawberry.Info, id: strawberry.ID) -> VillageDisclosure:
        return VillageDisclosure.of(await DisclosureService(module.context(info)).get(id))

    @strawberry.field(description="Questions with their answers, newest first: on one disclosure (residents see the "
                                  "answered ones and their own) or, without disclosureId, the resident's own "
                                  "(staff: all, e.g. state ASKED for the queue to answer).")
    async def village_affairs_questions(self, info: strawberry.Info, disclosure_id: strawberry.ID | None = None,
                                        state: VillageAffairsQuestionState | None = None, first: int = 20,
                                        after: str | None = None) -> Connection[VillageAffairsQuestion]:
        return await QuestionService(module.context(info)).list(disclosure_id, state.value if state else None, first,
                                                                after, VillageAffairsQuestion.of)

    @strawberry.field(description="A year's disclosure catalogue items.")
    async def village_disclosure_requirements(self, info: strawberry.Info, year: int, first: int = 50,
                                              after: str | None = None) -> Connection[VillageDisclosureRequirement]:
        ctx = module.context(info)
        member(ctx)
        found = await paginate(ctx.collection("requirements"), {"year": check_year(year)}, first, after)
        return connection(found, VillageDisclosureRequirement.of)

    @strawberry.field(description="A year's catalogue per period: what was disclosed, what is due, what is OVERDUE.")
    async def village_disclosure_catalogue(self, info: strawberry.Info, year: int,
                                           status: VillageCatalogueStatus | None = None, first: int = 50,
                                           after: str | None = None) -> Connection[VillageCatalogueEntry]:
        entries = await CatalogueService(module.context(info)).entries(year)
        if status:
            entries = [e for e in entries if e.status == status.value]
        rows = [{"_id": f"{e.requirement['_id']}:{e.period}", "entry": e} for e in entries]
        return from_rows(rows, lambda r: VillageCatalogueEntry.of(r["entry"]), first, after)

    @strawberry.field(description="A year's catalogue in figures.")
    async def village_disclosure_catalogue_summary(self, info: strawberry.Info, year: int) -> VillageCatalogueSummary:
        counts = Counter(e.status for e in await CatalogueService(module.context(info)).entries(year))
        return VillageCatalogueSummary(year=year, periods=sum(counts.values()), disclosed=counts["disclosed"],
                                       disclosed_late=counts["disclosed_late"], scheduled=counts["scheduled"],
                                       pending=counts["pending"], overdue=counts["overdue"])


@strawberry.type
class VillageAffairsMutation:
    @strawberry.mutation(description="Publish a disclosure now or at publishAt, until expiresAt (community admins).")
    async def publish_village_disclosure(self, info: strawberry.Info,
                                         input: PublishVillageDisclosureInput) -> VillageDisclosure:
        draft = DisclosureDraft(category=input.category.value, title=input.title, body=input.body, period=input.period,
                                requirement_id=input.requirement_id, attachment_ids=[str(i) for i in input.attachment_ids],
                                publish_at=input.publish_at, expires_at=input.expires_at)
        return VillageDisclosure.of(await DisclosureService(module.context(info)).publish(draft))

    @strawberry.mutation(description="Withdraw a disclosure (it leaves the residents' view).")
    async def withdraw_village_disclosure(self, info: strawberry.Info, id: strawberry.ID) -> VillageDisclosure:
        return VillageDisclosure.of(await DisclosureService(module.context(info)).withdraw(id))

    @strawberry.mutation(description="Count the viewer's read of a public disclosure (once per resident).")
    async def mark_village_disclosure_read(self, info: strawberry.Info, id: strawberry.ID) -> VillageDisclosure:
        return VillageDisclosure.of(await DisclosureService(module.context(info)).mark_read(id))

    @strawberry.mutation(description="A resident asks about a public disclosure.")
    async def ask_village_affairs_question(self, info: strawberry.Info, disclosure_id: strawberry.ID,
                                           text: str) -> VillageAffairsQuestion:
        return VillageAffairsQuestion.of(await QuestionService(module.context(info)).ask(disclosure_id, text))

    @strawberry.mutation(description="The official answer to a question; the asker is notified.")
    async def answer_village_affairs_question(self, info: strawberry.Info, id: strawberry.ID,
                                              answer: str) -> VillageAffairsQuestion:
        return VillageAffairsQuestion.of(await QuestionService(module.context(info)).answer(id, answer))

    @strawberry.mutation(description="Add an item to a year's disclosure catalogue (the same item again: unchanged).")
    async def save_village_disclosure_requirement(
            self, info: strawberry.Info, input: SaveVillageDisclosureRequirementInput) -> VillageDisclosureRequirement:
        row = await CatalogueService(module.context(info)).save(input.year, input.category.value, input.title,
                                                                input.frequency.value)
        return VillageDisclosureRequirement.of(row)

    @strawberry.mutation(description="Add the standard catalogue items (finances monthly, assets yearly, projects, "
                                     "subsidies and decisions quarterly) missing from a year.")
    async def adopt_standard_village_disclosure_catalogue(self, info: strawberry.Info,
                                                          year: int) -> list[VillageDisclosureRequirement]:
        return [VillageDisclosureRequirement.of(r) for r in await CatalogueService(module.context(info)).adopt_standard(year)]
