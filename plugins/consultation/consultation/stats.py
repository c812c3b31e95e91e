"""Dashboard figures (`dashboard_statistics`): topics opened and resolved, participation —
also as a rate: the participants of the topics resolved in the window over the residents who
could take part in them (counted at each resolution through `ctx.residents`)."""

from __future__ import annotations

from datetime import datetime

from community_plus_sdk import ModuleContext, Stat

from .participation import rate
from .topics import HEARING, OPEN, RESOLVED


async def dashboard(ctx: ModuleContext, since: datetime, until: datetime) -> list[Stat]:
    window = {"$gte": since, "$lt": until}
    topics = ctx.collection("topics")
    votes = await ctx.collection("votes").aggregate([
        {"$match": {"castAt": window}}, {"$group": {"_id": "$residentId"}}, {"$count": "n"}])
    resolved = await topics.aggregate([
        {"$match": {"state": RESOLVED, "resolvedAt": window}},
        {"$group": {"_id": None, "n": {"$sum": 1}, "voters": {"$sum": "$voterCount"},
                    "taking_part": {"$sum": {"$cond": [{"$eq": ["$kind", HEARING]}, "$opinionCount", "$voterCount"]}},
                    "eligible": {"$sum": {"$ifNull": ["$finalEligible.total", 0]}}}}])
    n_resolved = resolved[0]["n"] if resolved else 0
    share = rate(resolved[0]["taking_part"], resolved[0]["eligible"]) if resolved else None
    return [
        Stat("topics_opened", "新发起议题", await topics.count({"createdAt": window}), "个"),
        Stat("topics_open", "进行中议题", await topics.count({"state": OPEN}), "个"),
        Stat("resolutions", "公布决议", n_resolved, "项"),
        Stat("votes", "新投票", await ctx.collection("votes").count({"castAt": window}), "票"),
        Stat("voters", "参与投票居民", votes[0]["n"] if votes else 0, "人"),
        Stat("opinions", "书面意见", await ctx.collection("opinions").count({"createdAt": window}), "条"),
        Stat("average_voters", "每项决议平均参与", round(resolved[0]["voters"] / n_resolved, 1) if n_resolved else None,
             "人"),
        Stat("participation_rate", "决议平均参与率", round(share * 100, 1) if share is not None else None, "%"),
    ]
