"""The GraphQL types of micro-wishes: the public view (an alias and the grid, never the
wisher's identity), the reviewer's view with the identity, and the input of a new wish."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry

from community_plus_sdk import ModuleContext

from .manifest import WISH_APPROVE


@strawberry.enum(description="心愿状态 (wish state)")
class CharityWishState(Enum):
    PENDING_REVIEW = "pending_review"
    OPEN = "open"
    CLAIMED = "claimed"
    FULFILLED = "fulfilled"
    COMPLETED = "completed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


@strawberry.enum(description="心愿类别 (wish category)")
class CharityWishCategory(Enum):
    DAILY_NEEDS = "daily_needs"
    STUDY = "study"
    HEALTH = "health"
    COMPANIONSHIP = "companionship"
    OTHER = "other"


@strawberry.type(description="微心愿（公开视图：只有化名和网格，不含心愿人身份） (a micro-wish as everyone sees it: "
                             "an alias and the grid, never the wisher's identity)")
class CharityWish:
    id: strawberry.ID
    alias: str
    grid_id: strawberry.ID | None
    title: str
    description: str
    category: CharityWishCategory
    photos: list[strawberry.ID]
    estimated_value_fen: int | None
    state: CharityWishState
    claimant_name: str | None = strawberry.field(description="认领者（组织名或姓氏加*） (organisation, or masked name)")
    claimed_at: datetime | None
    fulfilled_at: datetime | None
    proof_photos: list[strawberry.ID]
    proof_note: str | None
    completed_at: datetime | None
    thanks: str | None
    created_at: datetime
    is_mine: bool = strawberry.field(description="我是心愿人或代发人 (I am the wisher or posted it for them)")
    claimed_by_me: bool
    review_note: str | None = strawberry.field(description="审核意见（仅心愿人与审核人可见）")

    @classmethod
    def of(cls, ctx: ModuleContext, row: dict[str, Any]) -> CharityWish:
        caller = ctx.caller
        mine = bool(caller) and (row.get("postedBy") == caller.user_id or
                                 (bool(caller.resident_id) and row.get("wisherResidentId") == caller.resident_id))
        reviewer = bool(caller) and ctx.has_permission(WISH_APPROVE)
        return cls(id=row["_id"], alias=row["alias"], grid_id=row.get("gridId"), title=row["title"],
                   description=row.get("description") or "", category=CharityWishCategory(row["category"]),
                   photos=row.get("photos") or [], estimated_value_fen=row.get("estimatedValueFen"),
                   state=CharityWishState(row["state"]), claimant_name=row.get("claimantName"),
                   claimed_at=row.get("claimedAt"), fulfilled_at=row.get("fulfilledAt"),
                   proof_photos=row.get("proofPhotos") or [], proof_note=row.get("proofNote"),
                   completed_at=row.get("completedAt"), thanks=row.get("thanks"), created_at=row["createdAt"],
                   is_mine=mine, claimed_by_me=bool(caller) and row.get("claimantUserId") == caller.user_id,
                   review_note=row.get("reviewNote") if (mine or reviewer) else None)


@strawberry.type(description="审核视图：含心愿人身份，仅审核人可见，每次查看记入审计 (the reviewer's view with the "
                             "wisher's identity; every view is audited)")
class CharityWishReview:
    wish: CharityWish
    wisher_resident_id: strawberry.ID | None = strawberry.field(description="null for the community's demo wishes")
    wisher_name: str
    posted_by_staff: bool
    content_flagged: bool = strawberry.field(description="内容检测建议人工复核 (the content check asked for review)")


@strawberry.input(description="发布微心愿 (post a micro-wish)")
class CharityWishInput:
    title: str
    description: str
    category: CharityWishCategory = CharityWishCategory.OTHER
    alias: str | None = strawberry.field(default=None, description="公开显示的化名，默认自动生成 (public alias)")
    photos: list[strawberry.ID] | None = None
    estimated_value_fen: int | None = strawberry.field(default=None, description="估值（分） (estimated value in fen)")
    resident_id: strawberry.ID | None = strawberry.field(
        default=None, description="工作人员代居民发布时填写 (staff posting for a resident)")
