"""Disclosures (公开事项) by category, published at once or at a scheduled time, until an
optional expiry; attachments use the platform's uploaded files; every member's first read is
counted once (a unique read row and the counter move in one transaction)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from community_plus_sdk import ConflictError, ModuleContext, NotFoundError
from community_plus_sdk.clock import as_utc, clock

from .periods import periods, valid_period
from .access import is_staff, member
from .checks import ident, raise_if_any, text

SCHEDULED, PUBLISHED, EXPIRED, WITHDRAWN = "scheduled", "published", "expired", "withdrawn"
ENTITY = "VillageDisclosure"
BACKDATE_TOLERANCE = timedelta(minutes=5)  # a client's clock may run a little behind


@dataclass
class DisclosureDraft:
    category: str
    title: str
    body: str | None
    period: str | None
    requirement_id: str | None
    attachment_ids: list[str]
    publish_at: datetime | None
    expires_at: datetime | None


def state_of(d: dict[str, Any], now: datetime | None = None) -> str:
    now = now or clock.now()
    if d.get("withdrawn"):
        return WITHDRAWN
    if as_utc(d["publishAt"]) > now:
        return SCHEDULED
    if d.get("expiresAt") and as_utc(d["expiresAt"]) <= now:
        return EXPIRED
    return PUBLISHED


def public_now(now: datetime) -> dict[str, Any]:
    """What residents see: published, not withdrawn, not expired."""
    return {"withdrawn": False, "publishAt": {"$lte": now}, "$or": [{"expiresAt": None}, {"expiresAt": {"$gt": now}}]}


def staff_state(state: str, now: datetime) -> dict[str, Any]:
    if state == WITHDRAWN:
        return {"withdrawn": True}
    if state == SCHEDULED:
        return {"withdrawn": False, "publishAt": {"$gt": now}}
    if state == EXPIRED:
        return {"withdrawn": False, "expiresAt": {"$lte": now}}
    return public_now(now)


class DisclosureService:
    def __init__(self, ctx: ModuleContext) -> None:
        self.ctx = ctx
        self.disclosures = ctx.collection("disclosures")

    async def get(self, disclosure_id: str, path: str = "id") -> dict[str, Any]:
        """A disclosure the caller may see (residents: only while it is public)."""
        caller = member(self.ctx)
        row = await self.disclosures.find_one({"_id": ident(path, disclosure_id)})
        if row is None or (not is_staff(caller) and state_of(row) != PUBLISHED):
            raise NotFoundError("公开事项不存在 (no such disclosure in this community)")
        return row

    async def publish(self, draft: DisclosureDraft) -> dict[str, Any]:
        self.ctx.require_permission("village_affairs.disclosure.publish")
        caller = self.ctx.require_caller()
        problems: dict[str, str] = {}
        title = text(problems, "input.title", draft.title, 80, required=True)
        body = text(problems, "input.body", draft.body, 20000)
        period = text(problems, "input.period", draft.period, 10)
        if period and not valid_period(period):
            problems["input.period"] = "期间格式：2026、2026-Q1 或 2026-03 (a year, quarter or month)"
        if draft.requirement_id is not None and not period:
            problems.setdefault("input.period", "对应目录项时需填写期间 (a catalogue item needs its period)")
        if len(draft.attachment_ids) > 20:
            problems["input.attachmentIds"] = "附件最多20个 (at most 20 attachments)"
        now = self.ctx.now()
        publish_at = as_utc(draft.publish_at) if draft.publish_at else now
        if publish_at < now - BACKDATE_TOLERANCE:
            problems["input.publishAt"] = "发布时间不能早于现在 (no backdating: the catalogue judges timeliness by it)"
        expires_at = as_utc(draft.expires_at) if draft.expires_at else None
        if expires_at is not None and expires_at <= max(publish_at, now):
            problems["input.expiresAt"] = "到期时间应晚于发布时间 (expiry must follow publication)"
        raise_if_any(problems)
        requirement = await self._requirement(draft.requirement_id, draft.category, period)
        row = await self.disclosures.insert({
            "category": draft.category, "title": title, "body": body, "period": period,
            "requirementId": requirement["_id"] if requirement else None, "attachmentIds": draft.attachment_ids,
            "publishAt": publish_at, "expiresAt": expires_at, "withdrawn": False, "readCount": 0,
            "questionCount": 0, "publishedBy": {"userId": caller.user_id, "name": caller.name}})
        try:
            await self.ctx.attach_files(draft.attachment_ids, ENTITY, row["_id"],
                                        [f"input.attachmentIds.{i}" for i in range(len(draft.attachment_ids))])
        except Exception:  # a file that cannot be used (BAD_USER_INPUT at its path): nothing half-created
            await self.disclosures.delete({"_id": row["_id"]})
            raise
        await self.ctx.audit("publish", ENTITY, row, ["title", "category", "publishAt", "expiresAt"])
        return row

    async def _requirement(self, requirement_id: str | None, category: str, period: str | None) -> dict | None:
        if requirement_id is None:
            return None
        found = await self.ctx.collection("requirements").find_one({"_id": ident("input.requirementId",
                                                                                  requirement_id)})
        problems: dict[str, str] = {}
        if found is None:
            problems["input.requirementId"] = "目录项不存在 (no such catalogue item in this community)"
        elif found["category"] != category:
            problems["input.category"] = "与目录项类别不符 (must match the catalogue item's category)"
        elif period not in {p for p, _ in periods(found["year"], found["frequency"])}:
            problems["input.period"] = "不是该目录项的期间 (not a period of this catalogue item)"
        raise_if_any(problems)
        return found

    async def withdraw(self, disclosure_id: str) -> dict[str, Any]:
        self.ctx.require_permission("village_affairs.disclosure.publish")
        row = await self.get(disclosure_id)
        if row["withdrawn"]:
            return row
        changed = await self.disclosures.update({"_id": row["_id"]}, {"withdrawn": True, "withdrawnAt": self.ctx.now()},
                                                expect={"withdrawn": False})
        if changed is None:
            raise ConflictError("公开事项刚被修改，请刷新 (the disclosure changed meanwhile: reload)")
        await self.ctx.audit("withdraw", ENTITY, changed, ["withdrawn"])
        return changed

    async def mark_read(self, disclosure_id: str) -> dict[str, Any]:
        """Count the caller's first read of a public disclosure (a resident's; staff reads are
        not counted); reading again changes nothing."""
        row = await self.get(disclosure_id)
        caller = self.ctx.require_caller()
        if is_staff(caller) or await self.ctx.collection("reads").find_one(
                {"disclosureId": row["_id"], "userId": caller.user_id}):
            return row

        async def write(tx: ModuleContext) -> dict[str, Any]:
            await tx.collection("reads").insert({"disclosureId": row["_id"], "userId": caller.user_id,
                                                 "readAt": tx.now()})
            return await tx.collection("disclosures").update({"_id": row["_id"]}, {}, inc={"readCount": 1})

        try:
            return await self.ctx.transaction(write)
        except ConflictError:  # a racing first read was counted
            return await self.get(disclosure_id)
