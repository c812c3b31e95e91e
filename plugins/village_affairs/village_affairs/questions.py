"""Residents' questions on a disclosure and the official answers (群众提问与答复). Answered
questions are public to the community (with the asker's name withheld); a resident also
sees their own unanswered ones; staff see all. The asker is notified of the answer."""

from __future__ import annotations

from typing import Any

from community_plus_sdk import ConflictError, ForbiddenError, ModuleContext, NotFoundError, UserInputError
from community_plus_sdk.relay import Connection, connection, paginate

from .access import is_staff, member
from .checks import ident, raise_if_any, text
from .disclosures import DisclosureService
from .manifest import PAGE

ASKED, ANSWERED = "asked", "answered"


class QuestionService:
    def __init__(self, ctx: ModuleContext) -> None:
        self.ctx = ctx
        self.questions = ctx.collection("questions")

    async def ask(self, disclosure_id: str, question: str) -> dict[str, Any]:
        caller = member(self.ctx)
        if is_staff(caller):
            raise ForbiddenError("由居民提问 (residents ask; staff answer)")
        problems: dict[str, str] = {}
        question = text(problems, "text", question, 500, required=True)
        raise_if_any(problems)
        disclosure = await DisclosureService(self.ctx).get(disclosure_id, "disclosureId")
        if await self.ctx.check_content(question) == "risky":
            raise UserInputError({"text": "内容不合规，请修改 (the text failed the content check)"})

        async def write(tx: ModuleContext) -> dict[str, Any]:
            row = await tx.collection("questions").insert({
                "disclosureId": disclosure["_id"], "text": question, "state": ASKED, "askerUserId": caller.user_id,
                "askerResidentId": caller.resident_id, "answer": None, "answeredAt": None})
            await tx.collection("disclosures").update({"_id": disclosure["_id"]}, {}, inc={"questionCount": 1})
            return row

        row = await self.ctx.transaction(write)
        await self.ctx.audit("ask", "VillageAffairsQuestion", row, ["text"])
        return row

    async def answer(self, question_id: str, answer: str) -> dict[str, Any]:
        """The official answer; answering again with the same text is a no-op."""
        self.ctx.require_permission("village_affairs.question.answer")
        caller = self.ctx.require_caller()
        problems: dict[str, str] = {}
        answer = text(problems, "answer", answer, 5000, required=True)
        raise_if_any(problems)
        row = await self.questions.find_one({"_id": ident("id", question_id)})
        if row is None:
            raise NotFoundError("问题不存在 (no such question in this community)")
        if row["state"] == ANSWERED:
            if row["answer"]["text"] == answer:
                return row
            raise ConflictError("该问题已答复 (the question is already answered)", reason="ALREADY_ANSWERED")

        async def write(tx: ModuleContext) -> dict[str, Any]:
            done = await tx.collection("questions").update({"_id": row["_id"]}, {
                "state": ANSWERED, "answeredAt": tx.now(),
                "answer": {"text": answer, "byName": caller.name, "byUserId": caller.user_id}}, expect={"state": ASKED})
            if done is None:
                raise ConflictError("该问题刚被答复 (answered meanwhile: reload)", reason="ALREADY_ANSWERED")
            await tx.notify([row["askerUserId"]], "您的村务提问已答复", "已答复", page=PAGE.format(id=row["disclosureId"]))
            return done

        done = await self.ctx.transaction(write)
        await self.ctx.audit("answer", "VillageAffairsQuestion", done, ["answer"])
        return done

    async def list(self, disclosure_id: str | None, state: str | None, first: int, after: str | None,
                   make) -> Connection[Any]:
        caller = member(self.ctx)
        query: dict[str, Any] = {}
        if disclosure_id is not None:
            query["disclosureId"] = (await DisclosureService(self.ctx).get(disclosure_id, "disclosureId"))["_id"]
        elif not is_staff(caller):
            query["askerUserId"] = caller.user_id  # a resident's own questions, on every disclosure
        if state:
            query["state"] = state
        if not is_staff(caller) and disclosure_id is not None:
            query["$or"] = [{"state": ANSWERED}, {"askerUserId": caller.user_id}]
        return connection(await paginate(self.questions, query, first, after), make)
