"""The work-order service: submission, the state machine's transitions (compare-and-set on
the state, and the version when the client sends it, so of two concurrent attempts exactly one
succeeds), notes, and the periodic closing of orders nobody rated.

The rules live beside it: `transitions.py` (states, who may move an order from where),
`submission.py` (what a new order files), `search.py` (visibility, list filters),
`numbering.py` (readable numbers). This module writes: a submission or a transition commits
the order, its outbox messages and its realtime event in one transaction, then emits the
domain event.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo.errors import DuplicateKeyError

from community_plus.platform.context import RequestContext
from community_plus_sdk.idempotency import key_problem

from community_plus.platform.errors import BadUserInput, Conflict, FieldErrors, Forbidden, NotFound
from community_plus.platform.repository import Page, new_id
from community_plus.platform.transactions import in_transaction
from community_plus.domains.work_orders.numbering import Numbering
from community_plus.domains.audit import service as audit
from community_plus.domains.media.service import register_entity_visibility, release_files
from community_plus.domains.work_orders.attachments import attach, unique_files
from community_plus.domains.work_orders.search import list_query, visible_filter
from community_plus.domains.work_orders.submission import check_submission, new_order, request_hash, subject_of
from community_plus.domains.work_orders.transitions import (OPEN_STATES, STATE_TEXT, STATES, TRANSITIONS, Transition,
                                                            enum_name, may_act, note_problem, state_conflict,
                                                            timeline_event)
from community_plus.domains.notifications.service import work_order_messages
from community_plus.domains.work_orders.events import record_work_order

ENTITY = "workOrder"
__all__ = ["ENTITY", "OPEN_STATES", "STATES", "WorkOrderService", "close_stale_resolved", "enum_name",
           "register_file_visibility"]


class WorkOrderService:
    def __init__(self, ctx: RequestContext) -> None:
        self.ctx = ctx
        self.p = ctx.platform
        self.scope = ctx.scope

    def visible_filter(self) -> dict[str, Any]:
        return visible_filter(self.scope)

    async def get(self, id: str) -> dict[str, Any]:
        doc = await self.p.work_orders.get(id, self.visible_filter())
        if doc is None:
            raise NotFound("work order")
        return doc

    async def list(self, f: dict[str, Any], first: int, after: str | None) -> Page:
        return await self.p.work_orders.page(list_query(self.scope, f), first, after, newest_first=True)

    # -- submission ---------------------------------------------------------------------
    async def submit(self, data: dict[str, Any], *, subject: dict[str, Any] | None = None,
                     also_write=None) -> dict[str, Any]:
        """File an order. `subject` replaces the resident (a hotline caller not registered
        anywhere); `also_write(session, order)` runs in the order's transaction (the call record)."""
        pr = self.scope.require()
        key = data.pop("idempotency_key", None)
        notify = data.pop("notify_user_ids", [])
        fingerprint = request_hash(data)
        if key:
            if problem := key_problem(key):
                raise BadUserInput({"input.idempotencyKey": problem})
            existing = await self.p.work_orders.by_idempotency_key(pr.user_id, key)
            if existing is not None:
                return self._replay(existing, fingerprint)
        resident = subject or await subject_of(self.ctx, data.get("resident_id"))
        filing = await check_submission(self.ctx, data, resident)
        files, order_id, now = filing.files, new_id(), datetime.now(UTC)
        doc = new_order(order_id, pr, data, resident, filing, notify, now)
        if key:
            doc["idempotencyKey"], doc["requestHash"] = key, fingerprint

        numbering = await Numbering.of(self.p)  # readable numbers (domains/work_orders/numbering.py)
        doc["number"] = await numbering.assign(await numbering.prepare(doc["communityId"], now))

        async def write(session):
            await self.p.work_orders.insert(doc, session=session)
            await self.p.outbox.insert_many(work_order_messages(doc, None), session=session)
            await record_work_order(self.p, doc, None, session=session)
            if also_write is not None:
                await also_write(session, doc)

        await self._attach(files, order_id, doc["communityId"])
        try:
            await in_transaction(self.p.client, write)
        except DuplicateKeyError:
            await release_files(self.ctx, ENTITY, order_id)
            existing = await self.p.work_orders.by_idempotency_key(pr.user_id, key or "")
            if existing is None:
                raise
            return self._replay(existing, fingerprint)  # a concurrent retry of the same request won
        except BaseException:
            await release_files(self.ctx, ENTITY, order_id)
            raise
        await self._emit(doc, None)
        return doc

    async def _attach(self, files: list[tuple[str, str]], order_id: str, community_id: str) -> None:
        """Photos and documents become the order's (validated: owner, community, confirmed);
        a refusal names the input path each file came from (`input.attachments.0`)."""
        await attach(self.ctx, files, ENTITY, order_id, community_id=community_id)

    @staticmethod
    def _replay(existing: dict[str, Any], fingerprint: str) -> dict[str, Any]:
        if existing.get("requestHash") != fingerprint:
            raise Conflict("该幂等键已用于不同的请求 (this idempotency key was used with different input)")
        return existing

    # -- transitions --------------------------------------------------------------------
    def _event(self, action: str, from_state: str | None, to_state: str | None, at: datetime,
               note: str | None = None, **extra: Any) -> dict[str, Any]:
        return timeline_event(self.scope.principal, action, from_state, to_state, at, note, **extra)

    def _check_role(self, t: Transition, order: dict[str, Any]) -> None:
        pr = self.scope.require()
        if not may_act(t, pr, order):
            raise Forbidden(f"您的角色不能执行此操作 ({pr.role} may not {t.action} this work order)")

    async def transition(self, action: str, id: str, *, version: int | None = None, note: str | None = None,
                         changes: dict[str, Any] | None = None,
                         event_extra: dict[str, Any] | None = None) -> dict[str, Any]:
        t = TRANSITIONS[action]
        note_problem(note, "reason" if action in ("reject", "cancel") else "note")
        order = await self.get(id)
        self._check_role(t, order)
        if order["state"] not in t.from_states:
            raise state_conflict(order["state"], action, t.from_states)
        held = order.get("linkage") or {}
        if held.get("state") == "open" and held.get("holderType") != "community" and action != "cancel":
            raise Conflict(f"工单已上报，由{held.get('holderName', '上级')}办理 (the order is with the linkage command: "
                           f"its holder moves it)", reason="ESCALATED")
        now = datetime.now(UTC)
        fields = {"state": t.to_state, t.stamp: now, "updatedAt": now, **(changes or {})}
        event = self._event(action, order["state"], t.to_state, now, note, **(event_extra or {}))
        before = order["state"]

        async def write(session):
            updated = await self.p.work_orders.transition(id, list(t.from_states), version, fields, event,
                                                          session=session)
            if updated is None:
                return None
            await self.p.outbox.insert_many(work_order_messages(updated, before), session=session)
            await record_work_order(self.p, updated, before, session=session)
            return updated

        updated = await in_transaction(self.p.client, write)
        if updated is None:
            current = await self.p.work_orders.get(id)
            raise Conflict(f"工单已被他人处理，当前为「{STATE_TEXT[current['state']]}」 (the work order changed "
                           f"meanwhile; it is now {enum_name(current['state'])})", state=enum_name(current["state"]))
        await audit.record(self.ctx, action, "work_order", updated, [t.stamp], toState=enum_name(t.to_state))
        await self._emit(updated, before)
        return updated

    async def _emit(self, order: dict[str, Any], before: str | None) -> None:
        events = self.p.events
        if events is not None:
            await events.emit("work_order_state_changed", work_order=order, previous_state=before)

    async def accept(self, id: str, version: int | None, note: str | None) -> dict[str, Any]:
        return await self.transition("accept", id, version=version, note=note)

    async def reject(self, id: str, reason: str, version: int | None) -> dict[str, Any]:
        if not (reason or "").strip():
            raise BadUserInput({"reason": "请填写驳回理由 (a reason is required)"})
        return await self.transition("reject", id, version=version, note=reason.strip(),
                                     changes={"rejectReason": reason.strip()})

    async def assign(self, id: str, assignee_id: str | None, version: int | None, note: str | None) -> dict[str, Any]:
        order = await self.get(id)
        self._check_role(TRANSITIONS["assign"], order)
        worker = await self._worker_for(order, assignee_id)
        return await self.transition("assign", id, version=version, note=note, changes={"assigneeId": worker["_id"]},
                                     event_extra={"assigneeId": worker["_id"], "assigneeName": worker.get("displayName")})

    async def _worker_for(self, order: dict[str, Any], assignee_id: str | None) -> dict[str, Any]:
        """The chosen grid worker, or by default the worker of the order's grid (routing)."""
        if assignee_id is None:
            grid = await self.p.grids.get(order["gridId"]) if order.get("gridId") else None
            if not grid or not grid.get("workerIds"):
                raise BadUserInput({"assigneeId": "该网格没有网格员，请指定 (the grid has no worker: choose one)"})
            assignee_id = grid["workerIds"][0]
        worker = await self.p.users.get(assignee_id)
        if worker is None or worker["role"] != "grid_worker" or worker.get("communityId") != order["communityId"]:
            raise BadUserInput({"assigneeId": "应为本社区的网格员 (must be a grid worker of this community)"})
        return worker

    async def start(self, id: str, version: int | None, note: str | None) -> dict[str, Any]:
        return await self.transition("start", id, version=version, note=note)

    async def resolve(self, id: str, note: str | None, attachments: list[str], version: int | None) -> dict[str, Any]:
        changes = {"resolution": (note or "").strip()}
        note_problem(note)
        files = unique_files([(fid, f"attachments.{i}") for i, fid in enumerate(attachments)])
        if files:
            order = await self.get(id)
            self._check_role(TRANSITIONS["resolve"], order)
            if order["state"] not in TRANSITIONS["resolve"].from_states:
                raise state_conflict(order["state"], "resolve", TRANSITIONS["resolve"].from_states)
            await self._attach(files, id, order["communityId"])
        ids = [fid for fid, _ in files]
        return await self.transition("resolve", id, version=version, note=note, changes=changes,
                                     event_extra={"attachments": ids} if ids else None)

    async def cancel(self, id: str, reason: str | None, version: int | None) -> dict[str, Any]:
        return await self.transition("cancel", id, version=version, note=reason)

    async def rate(self, id: str, score: int, comment: str | None, key: str | None) -> dict[str, Any]:
        errors = FieldErrors()
        if not 1 <= score <= 5:
            errors.add("score", "评分应为1到5 (score must be 1 to 5)")
        if comment and len(comment) > 500:
            errors.add("comment", "最多500字 (at most 500 characters)")
        if problem := key_problem(key):
            errors.add("idempotencyKey", problem)
        errors.raise_if_any()
        fingerprint = request_hash({"score": score, "comment": comment})
        order = await self.get(id)
        rating = order.get("rating")
        if key and rating and rating.get("idempotencyKey") == key:
            if rating.get("requestHash") != fingerprint:
                raise Conflict("该幂等键已用于不同的评价 (this idempotency key was used with a different rating)")
            return order
        now = datetime.now(UTC)
        new_rating = {"score": score, "comment": (comment or "").strip() or None, "at": now}
        if key:
            new_rating.update(idempotencyKey=key, requestHash=fingerprint)
        return await self.transition("rate", id, note=comment, changes={"rating": new_rating},
                                     event_extra={"score": score})

    async def add_note(self, id: str, note: str, attachments: list[str]) -> dict[str, Any]:
        order = await self.get(id)
        pr = self.scope.require()
        if pr.role == "resident":
            raise Forbidden("居民不能添加处理记录 (residents cannot add handling notes)")
        if not note.strip():
            raise BadUserInput({"note": "必填 (required)"})
        note_problem(note)
        files = unique_files([(fid, f"attachments.{i}") for i, fid in enumerate(attachments)])
        await self._attach(files, order["_id"], order["communityId"])
        now = datetime.now(UTC)
        updated = await self.p.work_orders.add_note(order["_id"], self.visible_filter(),
                                                    self._event("note", None, None, now, note.strip(),
                                                                attachments=[fid for fid, _ in files]))
        if updated is not None:
            await record_work_order(self.p, updated, updated["state"])  # workOrderUpdated, action "note"
        return updated


async def close_stale_resolved(platform, days: float, now: datetime | None = None) -> int:
    """Close resolved orders nobody rated within `days` (runs periodically; system actor)."""
    now = now or datetime.now(UTC)
    closed = 0
    for order in await platform.work_orders.stale_resolved(now - timedelta(days=days)):
        event = timeline_event(None, "auto_close", "resolved", "closed", now,
                               f"{days:g}天未评价，自动办结 (closed automatically after {days:g} days without a rating)")
        updated = await platform.work_orders.transition(order["_id"], ["resolved"], None,
                                                        {"state": "closed", "closedAt": now, "updatedAt": now,
                                                         "autoClosed": True}, event)
        if updated is not None:
            await platform.outbox.insert_many(work_order_messages(updated, "resolved"))
            await record_work_order(platform, updated, "resolved")
            closed += 1
    return closed


def register_file_visibility(platform) -> None:
    """Whoever may see a work order may see its photos and documents."""

    async def can_see(ctx: RequestContext, order_id: str) -> bool:
        try:
            await WorkOrderService(ctx).get(order_id)
            return True
        except NotFound:
            return False

    register_entity_visibility(platform, ENTITY, can_see)
