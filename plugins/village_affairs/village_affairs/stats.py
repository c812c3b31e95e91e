"""Dashboard figures (`dashboard_statistics`): disclosures, reads, questions, overdue items."""

from __future__ import annotations

from datetime import datetime

from community_plus_sdk import ModuleContext, Stat
from community_plus_sdk.clock import CHINA

from .catalogue import OVERDUE, CatalogueService
from .disclosures import public_now


async def dashboard(ctx: ModuleContext, since: datetime, until: datetime) -> list[Stat]:
    window = {"$gte": since, "$lt": until}
    disclosures, questions = ctx.collection("disclosures"), ctx.collection("questions")
    now = ctx.now()
    year = now.astimezone(CHINA).year
    overdue = sum(e.status == OVERDUE for e in await CatalogueService(ctx).entries(year, system=True))
    return [
        Stat("disclosures_published", "新公开事项", await disclosures.count({"withdrawn": False, "publishAt": window}), "项"),
        Stat("disclosures_public", "公开中事项", await disclosures.count(public_now(now)), "项"),
        Stat("reads", "居民阅读", await ctx.collection("reads").count({"readAt": window}), "次"),
        Stat("questions", "居民提问", await questions.count({"createdAt": window}), "条"),
        Stat("answers", "答复提问", await questions.count({"answeredAt": window}), "条"),
        Stat("unanswered", "待答复提问", await questions.count({"state": "asked"}), "条"),
        Stat("overdue", "本年度逾期未公开", overdue, "项"),
    ]
