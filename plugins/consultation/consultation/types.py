"""GraphQL types of 居民议事. Enums are spelled as the schema spells them everywhere; stored
values are their lower-case names."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import strawberry

from .participation import participants, rate
from .topics import state_of


@strawberry.enum(description="What residents are asked for: a vote (表决), a hearing with written opinions (听证), "
                             "or an evaluation of community work (评议: satisfied / fairly / not).")
class ConsultationKind(enum.Enum):
    VOTE = "vote"
    HEARING = "hearing"
    EVALUATION = "evaluation"


@strawberry.enum(description="Who may take part: every registered resident, household heads only, or a grid's residents.")
class ConsultationAudience(enum.Enum):
    ALL_RESIDENTS = "all_residents"
    HOUSEHOLD_HEADS = "household_heads"
    GRID = "grid"


@strawberry.enum(description="OPEN until the deadline, then CLOSED (awaiting its resolution), then RESOLVED.")
class ConsultationState(enum.Enum):
    OPEN = "open"
    CLOSED = "closed"
    RESOLVED = "resolved"


@strawberry.type
class ConsultationOption:
    id: strawberry.ID
    label: str


@strawberry.type(description="决议: what the community decided, published after the deadline.")
class ConsultationResolution:
    text: str
    by_name: str | None
    published_at: datetime


@strawberry.type(description="议题: a vote, hearing or evaluation of the community or of one grid.")
class ConsultationTopic:
    id: strawberry.ID
    kind: ConsultationKind
    title: str
    body: str | None
    options: list[ConsultationOption]
    audience: ConsultationAudience
    grid_id: strawberry.ID | None
    deadline: datetime
    hearing_at: datetime | None
    location: str | None
    state: ConsultationState
    voter_count: int = strawberry.field(description="Residents who voted (participation).")
    opinion_count: int = strawberry.field(description="Residents who wrote an opinion.")
    opened_by_name: str | None
    created_at: datetime
    resolution: ConsultationResolution | None
    my_choice: strawberry.ID | None = strawberry.field(description="The viewer's vote (their own only).")
    participation_rate: float | None = strawberry.field(default=None, description=(
        "Of a resolved topic: participants / residents who could take part at the resolution (0–1); "
        "open topics: see consultationResults."))

    @classmethod
    def of(cls, d: dict[str, Any], my_choice: str | None = None) -> ConsultationTopic:
        r = d.get("resolution")
        return cls(id=d["_id"], kind=ConsultationKind(d["kind"]), title=d["title"], body=d.get("body"),
                   options=[ConsultationOption(id=o["id"], label=o["label"]) for o in d["options"]],
                   audience=ConsultationAudience(d["audience"]), grid_id=d.get("gridId"), deadline=d["deadline"],
                   hearing_at=d.get("hearingAt"), location=d.get("location"), state=ConsultationState(state_of(d)),
                   voter_count=d.get("voterCount", 0), opinion_count=d.get("opinionCount", 0),
                   opened_by_name=(d.get("openedBy") or {}).get("name"), created_at=d["createdAt"],
                   resolution=ConsultationResolution(text=r["text"], by_name=r.get("byName"),
                                                     published_at=d["resolvedAt"]) if r else None,
                   my_choice=my_choice, participation_rate=rate(participants(d), d["finalEligible"]["total"])
                   if d.get("finalEligible") else None)


@strawberry.type
class ConsultationOptionCount:
    option_id: strawberry.ID
    label: str
    votes: int


@strawberry.type(description="One grid's votes (residents without a grid: gridId null).")
class ConsultationGridResult:
    grid_id: strawberry.ID | None
    votes: int
    options: list[ConsultationOptionCount]
    eligible_voters: int = strawberry.field(description="The grid's residents who may take part.")
    participation_rate: float | None = strawberry.field(description="votes / eligibleVoters (0–1); null when "
                                                                    "nobody of the grid may take part.")


@strawberry.type(description="Anonymous results: counts only, never who voted what.")
class ConsultationResults:
    topic_id: strawberry.ID
    final: bool = strawberry.field(description="True once the resolution froze the counts.")
    total_votes: int
    options: list[ConsultationOptionCount]
    grids: list[ConsultationGridResult] = strawberry.field(description="Every grid with eligible residents or votes.")
    eligible_voters: int = strawberry.field(description="Residents who may take part (all, household heads, or "
                                                        "the grid's), counted now — or at the resolution.")
    participants: int = strawberry.field(description="Residents who took part: voters (a hearing: opinion writers).")
    participation_rate: float | None = strawberry.field(description="participants / eligibleVoters (0–1); null "
                                                                    "when nobody may take part.")

    @classmethod
    def of(cls, topic: dict[str, Any], tally: dict[str, Any], eligible: dict[str, Any]) -> ConsultationResults:
        labels = {o["id"]: o["label"] for o in topic["options"]}
        empty = {o["id"]: 0 for o in topic["options"]}

        def counts(per: dict[str, int]) -> list[ConsultationOptionCount]:
            return [ConsultationOptionCount(option_id=o, label=labels.get(o, o), votes=n) for o, n in per.items()]

        grids = []
        for g in sorted(set(tally["grids"]) | set(eligible["grids"])):
            per = tally["grids"].get(g) or empty
            votes, n = sum(per.values()), eligible["grids"].get(g, 0)
            grids.append(ConsultationGridResult(grid_id=g or None, votes=votes, options=counts(per),
                                                eligible_voters=n, participation_rate=rate(votes, n)))
        taking_part = tally["total"] if topic["kind"] != "hearing" else participants(topic)
        return cls(topic_id=topic["_id"], final=topic["state"] == "resolved", total_votes=tally["total"],
                   options=counts(tally["options"]), grids=grids, eligible_voters=eligible["total"],
                   participants=taking_part, participation_rate=rate(taking_part, eligible["total"]))


@strawberry.type(description="A live update of a topic's results (the first one is the current state, cursor null).")
class ConsultationResultsEvent:
    cursor: str | None
    results: ConsultationResults


@strawberry.type(description="A vote as its voter sees it.")
class ConsultationVote:
    topic_id: strawberry.ID
    option_id: strawberry.ID
    cast_at: datetime
    changed_at: datetime | None

    @classmethod
    def of(cls, d: dict[str, Any]) -> ConsultationVote:
        return cls(topic_id=d["topicId"], option_id=d["optionId"], cast_at=d["castAt"], changed_at=d.get("changedAt"))


@strawberry.type(description="书面意见: a resident's written opinion on a topic.")
class ConsultationOpinion:
    id: strawberry.ID
    topic_id: strawberry.ID
    text: str
    author_name: str | None
    grid_id: strawberry.ID | None
    written_at: datetime

    @classmethod
    def of(cls, d: dict[str, Any]) -> ConsultationOpinion:
        return cls(id=d["_id"], topic_id=d["topicId"], text=d["text"], author_name=d.get("authorName"),
                   grid_id=d.get("gridId"), written_at=d["writtenAt"])


@strawberry.input
class OpenConsultationTopicInput:
    kind: ConsultationKind
    title: str
    deadline: datetime
    audience: ConsultationAudience = ConsultationAudience.ALL_RESIDENTS
    body: str | None = None
    options: list[str] | None = strawberry.field(default=None, description="2–10 labels (VOTE); EVALUATION "
                                                 "defaults to 满意/基本满意/不满意; none for HEARING.")
    grid_id: strawberry.ID | None = strawberry.field(default=None, description="For audience GRID.")
    hearing_at: datetime | None = strawberry.field(default=None, description="When the hearing meets (HEARING).")
    location: str | None = strawberry.field(default=None, description="Where the hearing meets (HEARING).")


@strawberry.input(description="What may change in an open topic (options only before the first vote).")
class UpdateConsultationTopicInput:
    title: str | None = None
    body: str | None = None
    deadline: datetime | None = None
    options: list[str] | None = None
    hearing_at: datetime | None = None
    location: str | None = None


@strawberry.input
class ConsultationTopicFilter:
    state: ConsultationState | None = None
    kind: ConsultationKind | None = None
    grid_id: strawberry.ID | None = None
