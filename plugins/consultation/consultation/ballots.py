"""Votes (表决): one per eligible resident and topic, changeable until the deadline.

A vote is written in a transaction that first touches its topic with a compare-and-set
(`state` open and `deadline` not passed): a vote and the resolution can never both win, and a
vote that arrives after the deadline is refused. The unique index (topicId, residentId) keeps
one vote per resident even when two requests race; a changed vote is itself a
compare-and-set on the option it replaces. Results are anonymous counts, overall and per
grid, computed from the votes (one indexed aggregation), and published live."""

from __future__ import annotations

from typing import Any

from community_plus_sdk import ConflictError, ForbiddenError, ModuleContext, UserInputError

from .checks import valid_id
from .manifest import RESOLVE_TOPIC
from .topics import CLOSED, GRID, HEARING, HOUSEHOLD_HEADS, OPEN, RESOLVED, TopicService, state_of

RESULTS_TOPIC = "results_changed"


async def eligible_resident(ctx: ModuleContext, topic: dict[str, Any]) -> dict[str, Any]:
    """The caller's resident record if they may take part in `topic`, else FORBIDDEN."""
    caller = ctx.require_caller()
    resident = await ctx.resident(caller.resident_id) if caller.role == "resident" and caller.resident_id else None
    if resident is None:
        raise ForbiddenError("仅本社区登记居民可以参与议事 (only registered residents of the community take part)",
                             reason="NOT_A_RESIDENT")
    if topic["audience"] == HOUSEHOLD_HEADS and resident.get("relation") != "self":
        raise ForbiddenError("本议题由户主参与 (household heads only)", reason="NOT_ELIGIBLE")
    if topic["audience"] == GRID and resident.get("gridId") != topic.get("gridId"):
        raise ForbiddenError("本议题由本网格居民参与 (residents of the topic's grid only)", reason="NOT_ELIGIBLE")
    return resident


def require_open(topic: dict[str, Any]) -> None:
    state = state_of(topic)
    if state != OPEN:
        raise ConflictError("议题已截止 (the deadline has passed)", reason="VOTING_CLOSED", state=state.upper())


async def touch_open_topic(tx: ModuleContext, topic_id: str, **inc: int) -> None:
    """The compare-and-set that orders a write against the deadline and the resolution."""
    row = await tx.collection("topics").update({"_id": topic_id}, {}, expect={"state": OPEN,
                                                                             "deadline": {"$gt": tx.now()}},
                                               inc={"ballotWrites": 1, **inc})
    if row is None:
        raise ConflictError("议题已截止 (the deadline has passed)", reason="VOTING_CLOSED", state="CLOSED")


async def tally(ctx: ModuleContext, topic: dict[str, Any]) -> dict[str, Any]:
    """Anonymous counts: `{total, options: {optionId: n}, grids: {gridId: {optionId: n}}}`."""
    rows = await ctx.collection("votes").aggregate([
        {"$match": {"topicId": topic["_id"]}},
        {"$group": {"_id": {"o": "$optionId", "g": "$gridId"}, "n": {"$sum": 1}}}])
    options = {o["id"]: 0 for o in topic["options"]}
    grids: dict[str, dict[str, int]] = {}
    for r in rows:
        option, grid = r["_id"]["o"], r["_id"].get("g") or ""
        options[option] = options.get(option, 0) + r["n"]
        per = grids.setdefault(grid, {o["id"]: 0 for o in topic["options"]})
        per[option] = per.get(option, 0) + r["n"]
    return {"total": sum(options.values()), "options": options, "grids": grids}


def results_visible(ctx: ModuleContext, topic: dict[str, Any], live: bool) -> bool:
    return live or state_of(topic) in (CLOSED, RESOLVED) or ctx.has_permission("consultation.topic.resolve")


class BallotService:
    def __init__(self, ctx: ModuleContext) -> None:
        self.ctx = ctx

    async def cast(self, topic_id: str, option_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """Cast or change the caller's vote; the same vote again changes nothing. Returns
        (topic, vote)."""
        topic = await TopicService(self.ctx).get(topic_id, "topicId")
        if topic["kind"] == HEARING:
            raise UserInputError({"topicId": "听证不投票，请提交书面意见 (hearings take written opinions)"})
        if option_id not in {o["id"] for o in topic["options"]}:
            valid_id("optionId", option_id)
            raise UserInputError({"optionId": "没有这个选项 (no such option of this topic)"})
        require_open(topic)
        resident = await eligible_resident(self.ctx, topic)
        caller = self.ctx.require_caller()
        votes = self.ctx.collection("votes")
        mine = {"topicId": topic["_id"], "residentId": resident["_id"]}
        existing = await votes.find_one(mine)
        if existing is not None and existing["optionId"] == option_id:
            return topic, existing  # a retry or a second tap: nothing changes
        live = (await self.ctx.settings())["liveResults"]

        async def write(tx: ModuleContext) -> dict[str, Any]:
            coll = tx.collection("votes")
            if existing is None:
                await touch_open_topic(tx, topic["_id"], voterCount=1)
                vote = await coll.insert({**mine, "userId": caller.user_id, "gridId": resident.get("gridId"),
                                          "optionId": option_id, "castAt": tx.now()})
            else:
                await touch_open_topic(tx, topic["_id"])
                vote = await coll.update({"_id": existing["_id"]}, {"optionId": option_id, "changedAt": tx.now()},
                                         expect={"optionId": existing["optionId"]})
                if vote is None:
                    raise ConflictError("投票刚被修改，请刷新 (the vote changed meanwhile: reload)")
            counts = await tally(tx, topic)
            await tx.publish(RESULTS_TOPIC, {"topicId": topic["_id"], "tally": counts},
                             permission=None if live else RESOLVE_TOPIC)
            return vote

        try:
            vote = await self.ctx.transaction(write)
        except ConflictError as exc:
            if existing is None and "reason" not in exc.extensions:  # two first votes raced: the other one won
                return await self.cast(topic_id, option_id)
            raise
        await self.ctx.audit("vote", "ConsultationVote", {"_id": vote["_id"], "topicId": topic["_id"]}, ["optionId"])
        return topic, vote

    async def mine(self, topic_ids: list[str]) -> dict[str, str]:
        """The caller's choice per topic (one query for a whole page)."""
        caller = self.ctx.require_caller()
        if not caller.resident_id or not topic_ids:
            return {}
        rows = await self.ctx.collection("votes").find({"topicId": {"$in": topic_ids},
                                                        "residentId": caller.resident_id}, limit=len(topic_ids))
        return {r["topicId"]: r["optionId"] for r in rows}
