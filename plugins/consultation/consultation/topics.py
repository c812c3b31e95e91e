"""Topics (议题): opened by the community or a grid, with options, a deadline and the
residents who may take part; visible to everyone of the community; resolved after the
deadline with a published resolution that is sent to every participant."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from community_plus_sdk import ConflictError, ForbiddenError, ModuleContext, NotFoundError, UserInputError

from community_plus_sdk.clock import as_utc, clock
from .checks import Problems, valid_id
from .manifest import PAGE

VOTE, HEARING, EVALUATION = "vote", "hearing", "evaluation"
ALL_RESIDENTS, HOUSEHOLD_HEADS, GRID = "all_residents", "household_heads", "grid"
OPEN, CLOSED, RESOLVED = "open", "closed", "resolved"  # CLOSED is derived: open and past its deadline
EVALUATION_OPTIONS = ["满意", "基本满意", "不满意"]
MAX_OPTIONS = 10


@dataclass
class TopicDraft:
    kind: str
    title: str
    body: str | None
    options: list[str] | None
    audience: str
    grid_id: str | None
    deadline: datetime
    hearing_at: datetime | None = None
    location: str | None = None


def state_of(topic: dict[str, Any], now: datetime | None = None) -> str:
    if topic["state"] == OPEN and as_utc(topic["deadline"]) <= (now or clock.now()):
        return CLOSED
    return topic["state"]


def state_filter(state: str, now: datetime) -> dict[str, Any]:
    if state == OPEN:
        return {"state": OPEN, "deadline": {"$gt": now}}
    if state == CLOSED:
        return {"state": OPEN, "deadline": {"$lte": now}}
    return {"state": state}


class TopicService:
    def __init__(self, ctx: ModuleContext) -> None:
        self.ctx = ctx
        self.topics = ctx.collection("topics")

    async def get(self, topic_id: str, path: str = "id") -> dict[str, Any]:
        """A topic of this community (every member of it may see it)."""
        self.ctx.require_caller()
        topic = await self.topics.find_one({"_id": valid_id(path, topic_id)})
        if topic is None:
            raise NotFoundError("议题不存在 (no such topic in this community)")
        return topic

    def _may_act_on_grid(self, grid_id: str | None) -> None:
        caller = self.ctx.require_caller()
        if caller.role == "grid_worker" and grid_id not in caller.grid_ids:
            raise ForbiddenError("网格员只能处理本网格的议题 (grid workers act on their own grids' topics only)")

    async def open(self, draft: TopicDraft) -> dict[str, Any]:
        self.ctx.require_permission("consultation.topic.open")
        caller = self.ctx.require_caller()
        now = self.ctx.now()
        limit_days = (await self.ctx.settings())["maxVotingDays"]
        problems = Problems()
        title = problems.text("input.title", draft.title, max_length=60, required=True)
        body = problems.text("input.body", draft.body, max_length=5000)
        options = self._options(problems, draft)
        grid_id = None
        if draft.audience == GRID:
            grid_id = problems.identifier("input.gridId", draft.grid_id)
        elif draft.grid_id is not None:
            problems.add("input.gridId", "仅网格议题填写网格 (only for audience GRID)")
        deadline = as_utc(draft.deadline)
        if deadline <= now:
            problems.add("input.deadline", "截止时间应晚于现在 (the deadline must be in the future)")
        elif deadline > now + timedelta(days=limit_days):
            problems.add("input.deadline", f"投票期最长{limit_days}天 (at most {limit_days} days from now)")
        hearing_at, location = None, None
        if draft.kind == HEARING:
            location = problems.text("input.location", draft.location, max_length=100, required=True)
            if draft.hearing_at is None:
                problems.add("input.hearingAt", "听证会需填写时间 (a hearing needs its time)")
            else:
                hearing_at = as_utc(draft.hearing_at)
        problems.raise_if_any()
        if grid_id is not None and not await self.ctx.grid_workers(grid_id):
            raise UserInputError({"input.gridId": "本社区没有该网格 (no such grid in this community)"})
        if caller.role == "grid_worker" and draft.audience != GRID:
            raise ForbiddenError("网格员只能发起本网格议题 (grid workers open topics for their own grid: audience GRID)")
        self._may_act_on_grid(grid_id)
        row = await self.topics.insert({
            "kind": draft.kind, "title": title, "body": body, "options": options, "audience": draft.audience,
            "gridId": grid_id, "deadline": deadline, "hearingAt": hearing_at, "location": location,
            "state": OPEN, "voterCount": 0, "opinionCount": 0, "ballotWrites": 0,
            "openedBy": {"userId": caller.user_id, "name": caller.name, "role": caller.role},
            "resolution": None, "resolvedAt": None})
        await self.ctx.audit("open", "ConsultationTopic", row, ["title", "kind", "audience", "deadline"])
        return row

    async def update(self, topic_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        """Edit an open topic: its title, text, deadline and hearing details at any time before
        the deadline; its options only while nobody has voted (CONFLICT `VOTES_CAST`). Kind,
        audience and grid stay (they decide who took part)."""
        self.ctx.require_permission("consultation.topic.open")
        topic = await self.get(topic_id)
        self._may_act_on_grid(topic.get("gridId"))
        if state_of(topic) != OPEN:
            raise ConflictError("议题已截止，不能修改 (only open topics can be edited)", reason="VOTING_CLOSED")
        now = self.ctx.now()
        limit_days = (await self.ctx.settings())["maxVotingDays"]
        problems = Problems()
        values: dict[str, Any] = {}
        if changes.get("title") is not None:
            values["title"] = problems.text("input.title", changes["title"], max_length=60, required=True)
        if changes.get("body") is not None:
            values["body"] = problems.text("input.body", changes["body"], max_length=5000)
        if changes.get("deadline") is not None:
            deadline = as_utc(changes["deadline"])
            if deadline <= now:
                problems.add("input.deadline", "截止时间应晚于现在 (the deadline must be in the future)")
            elif deadline > as_utc(topic["createdAt"]) + timedelta(days=limit_days):
                problems.add("input.deadline", f"投票期最长{limit_days}天 (at most {limit_days} days after opening)")
            values["deadline"] = deadline
        if topic["kind"] == HEARING:
            if changes.get("location") is not None:
                values["location"] = problems.text("input.location", changes["location"], max_length=100,
                                                   required=True)
            if changes.get("hearing_at") is not None:
                values["hearingAt"] = as_utc(changes["hearing_at"])
        if changes.get("options") is not None:
            draft = TopicDraft(kind=topic["kind"], title="", body=None, options=changes["options"],
                               audience=topic["audience"], grid_id=None, deadline=now)
            options = self._options(problems, draft)
            if [o["label"] for o in options] != [o["label"] for o in topic["options"]]:
                values["options"] = options
        problems.raise_if_any()
        if "options" in values and (topic.get("voterCount") or topic.get("ballotWrites")):
            raise ConflictError("已有居民投票，选项不能再改 (residents have voted: the options stay)",
                                reason="VOTES_CAST")
        if not values:
            return topic
        expect: dict[str, Any] = {"state": OPEN, "ballotWrites": topic.get("ballotWrites", 0)} if "options" in values \
            else {"state": OPEN}
        row = await self.topics.update({"_id": topic["_id"]}, values, expect=expect)
        if row is None:
            raise ConflictError("议题刚被修改或已有投票，请刷新 (the topic changed meanwhile: reload it)")
        await self.ctx.audit("update", "ConsultationTopic", row, sorted(values))
        return row

    @staticmethod
    def _options(problems: Problems, draft: TopicDraft) -> list[dict[str, str]]:
        labels = list(draft.options or [])
        if draft.kind == EVALUATION and not labels:
            labels = EVALUATION_OPTIONS
        if draft.kind == HEARING:
            if labels:
                problems.add("input.options", "听证不设选项，居民提交书面意见 (hearings take written opinions only)")
            return []
        if not 2 <= len(labels) <= MAX_OPTIONS:
            problems.add("input.options", f"选项应为2到{MAX_OPTIONS}个 (2 to {MAX_OPTIONS} options)")
        cleaned = [problems.text(f"input.options.{i}", label, max_length=40, required=True)
                   for i, label in enumerate(labels)]
        if len({c for c in cleaned if c}) != len([c for c in cleaned if c]):
            problems.add("input.options", "选项不能重复 (options must differ)")
        return [{"id": f"o{i + 1}", "label": label or ""} for i, label in enumerate(cleaned)]

    async def resolve(self, topic_id: str, text: str, tally: Any) -> dict[str, Any]:
        """Publish the resolution once the deadline passed; every voter and opinion writer is
        notified in the same transaction. Publishing the same text again is a no-op."""
        self.ctx.require_permission("consultation.topic.resolve")
        problems = Problems()
        text = problems.text("resolution", text, max_length=5000, required=True)
        problems.raise_if_any()
        topic = await self.get(topic_id)
        self._may_act_on_grid(topic.get("gridId"))
        state = state_of(topic)
        if state == RESOLVED:
            if topic["resolution"]["text"] == text:
                return topic
            raise ConflictError("决议已公布 (the resolution was already published)", reason="ALREADY_RESOLVED")
        if state == OPEN:
            raise ConflictError("议题尚未截止 (the topic is open until its deadline)", reason="VOTING_OPEN",
                                deadline=as_utc(topic["deadline"]).isoformat())
        caller = self.ctx.require_caller()

        from .participation import eligible_counts

        eligible = await eligible_counts(self.ctx, topic)  # who could take part, kept with the resolution

        async def write(tx: ModuleContext) -> dict[str, Any]:
            final = await tally(tx, topic)
            row = await tx.collection("topics").update({"_id": topic["_id"]}, {
                "state": RESOLVED, "resolvedAt": tx.now(), "finalTally": final, "finalEligible": eligible,
                "resolution": {"text": text, "byName": caller.name, "byUserId": caller.user_id}},
                expect={"state": OPEN})
            if row is None:
                raise ConflictError("议题刚被他人处理，请刷新 (the topic changed meanwhile: reload it)")
            users = await participants(tx, topic["_id"])
            if users:
                await tx.notify(users, f"议题决议：{topic['title']}"[:20], "已公布", page=PAGE.format(id=topic["_id"]))
            return row

        row = await self.ctx.transaction(write)
        await self.ctx.audit("resolve", "ConsultationTopic", row, ["state", "resolution"])
        return row


async def participants(ctx: ModuleContext, topic_id: str) -> list[str]:
    """The distinct users who voted on or wrote an opinion about a topic."""
    users: set[str] = set()
    for name in ("votes", "opinions"):
        rows = await ctx.collection(name).aggregate([{"$match": {"topicId": topic_id}}, {"$group": {"_id": "$userId"}}])
        users.update(r["_id"] for r in rows if r["_id"])
    return sorted(users)
