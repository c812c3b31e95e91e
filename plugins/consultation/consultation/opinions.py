"""Written opinions (书面意见) on hearings, evaluations (评议) and votes: one per eligible
resident and topic, rewritable until the deadline, read by staff holding
`consultation.opinion.read`; the writer sees their own."""

from __future__ import annotations

from typing import Any

from community_plus_sdk import ConflictError, ModuleContext
from community_plus_sdk.relay import Connection, connection, paginate

from .ballots import eligible_resident, require_open, touch_open_topic
from .checks import Problems
from .topics import TopicService


class OpinionService:
    def __init__(self, ctx: ModuleContext) -> None:
        self.ctx = ctx
        self.opinions = ctx.collection("opinions")

    async def submit(self, topic_id: str, text: str) -> dict[str, Any]:
        problems = Problems()
        text = problems.text("text", text, max_length=2000, required=True)
        problems.raise_if_any()
        topic = await TopicService(self.ctx).get(topic_id, "topicId")
        require_open(topic)
        resident = await eligible_resident(self.ctx, topic)
        caller = self.ctx.require_caller()
        mine = {"topicId": topic["_id"], "residentId": resident["_id"]}
        existing = await self.opinions.find_one(mine)
        if existing is not None and existing["text"] == text:
            return existing

        async def write(tx: ModuleContext) -> dict[str, Any]:
            coll = tx.collection("opinions")
            if existing is None:
                await touch_open_topic(tx, topic["_id"], opinionCount=1)
                return await coll.insert({**mine, "userId": caller.user_id, "authorName": resident.get("name"),
                                          "gridId": resident.get("gridId"), "text": text, "writtenAt": tx.now()})
            await touch_open_topic(tx, topic["_id"])
            row = await coll.update({"_id": existing["_id"]}, {"text": text, "writtenAt": tx.now()},
                                    expect={"version": existing["version"]})
            if row is None:
                raise ConflictError("意见刚被修改，请刷新 (the opinion changed meanwhile: reload)")
            return row

        try:
            row = await self.ctx.transaction(write)
        except ConflictError as exc:
            if existing is None and "reason" not in exc.extensions:  # a racing first submission won
                return await self.submit(topic_id, text)
            raise
        await self.ctx.audit("write", "ConsultationOpinion", row, ["text"])
        return row

    async def mine(self, topic_id: str) -> dict[str, Any] | None:
        caller = self.ctx.require_caller()
        if not caller.resident_id:
            return None
        return await self.opinions.find_one({"topicId": topic_id, "residentId": caller.resident_id})

    async def list(self, topic_id: str, first: int, after: str | None, make) -> Connection[Any]:
        self.ctx.require_permission("consultation.opinion.read")
        topic = await TopicService(self.ctx).get(topic_id, "topicId")
        return connection(await paginate(self.opinions, {"topicId": topic["_id"]}, first, after), make)
