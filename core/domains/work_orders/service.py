"""The one-stop work-order flow (一门受理、一站办结):

    submitted → accepted → assigned → in_progress → resolved → closed
    submitted/accepted → rejected (community admin, with a reason)
    submitted/accepted/assigned → cancelled (the resident, before work starts)

Each transition is allowed to one role and from given states only: the wrong role is
FORBIDDEN, the wrong state CONFLICT. Transitions are compare-and-set on the state (and the
version when the client sends it), so of two concurrent attempts exactly one succeeds.

A problem report with a location is filed under the grid of the resident's community that
contains the point. A point inside none of that community's grids (a wrong pin, or a problem
in another community) is refused with BAD_USER_INPUT on `input.longitude`/`input.latitude`
rather than filed somewhere it does not belong: the resident moves the pin, or reports it
without a location, or where it is. States in errors and statistics are spelled as the
GraphQL enum spells them (`CANCELLED`), never as stored.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo.errors import DuplicateKeyError

from community_plus.platform.context import RequestContext
from community_plus_sdk.idempotency import key_problem

from community_plus.platform.errors import BadUserInput, Conflict, FieldErrors, Forbidden, NotFound
from community_plus.platform.repository import Page, new_id
from community_plus.platform.transactions import in_transaction
from community_plus.domains.work_orders.numbering import Numbering, number_filter
from community_plus.domains.audit import service as audit
from community_plus.domains.catalogue import forms
from community_plus.domains.media.service import register_entity_visibility, release_files
from community_plus.domains.work_orders.attachments import attach, unique_files
from community_plus.domains.catalogue.service import eligibility_problems
from community_plus.domains.notifications.service import work_order_messages
from community_plus.platform.validation import as_utc
from community_plus.realtime.publish import record_work_order

ENTITY = "workOrder"
OPEN_STATES = ("submitted", "accepted", "assigned", "in_progress")
STATES = (*OPEN_STATES, "resolved", "closed", "rejected", "cancelled")
ADMINS = ("community_admin",)
REPORT_SLA_HOURS = 48
# how an order came in (WorkOrderChannel); orders stored before channels existed are mini_program
CHANNELS = ("mini_program", "hotline", "counter", "grid_report", "escalation")
CHANNEL_OF_ROLE = {"resident": "mini_program", "hotline_operator": "hotline", "community_admin": "counter",
                   "grid_worker": "grid_report"}
MAX_NOTE = 1000
MAX_DESCRIPTION = 2000
STATE_TEXT = {"submitted": "已提交", "accepted": "已受理", "assigned": "已派单", "in_progress": "处理中",
              "resolved": "已办结", "closed": "已完成", "rejected": "已驳回", "cancelled": "已撤销"}
ACTION_TEXT = {"accept": "受理", "reject": "驳回", "assign": "派单", "start": "开始处理", "resolve": "办结",
               "rate": "评价", "cancel": "撤销"}


def enum_name(value: str) -> str:
    """A stored value as the GraphQL enum spells it (`in_progress` → `IN_PROGRESS`)."""
    return value.upper()


def state_conflict(state: str, action: str, allowed: tuple[str, ...]) -> Conflict:
    return Conflict(f"工单当前为「{STATE_TEXT.get(state, state)}」，不能{ACTION_TEXT.get(action, action)} "
                    f"(cannot {action} a work order in state {enum_name(state)}; allowed from "
                    f"{', '.join(map(enum_name, allowed))})", state=enum_name(state))


def note_problem(note: str | None, path: str = "note") -> None:
    if note and len(note) > MAX_NOTE:
        raise BadUserInput({path: f"最多{MAX_NOTE}字 (at most {MAX_NOTE} characters)"})


@dataclass(frozen=True)
class Transition:
    action: str
    from_states: tuple[str, ...]
    to_state: str
    roles: tuple[str, ...]  # "resident" means the submitter/subject; "assignee" the assigned worker
    stamp: str


TRANSITIONS = {
    "accept": Transition("accept", ("submitted",), "accepted", ADMINS, "acceptedAt"),
    "reject": Transition("reject", ("submitted", "accepted"), "rejected", ADMINS, "rejectedAt"),
    "assign": Transition("assign", ("accepted", "assigned"), "assigned", ADMINS, "assignedAt"),
    "start": Transition("start", ("assigned",), "in_progress", ("assignee",), "startedAt"),
    "resolve": Transition("resolve", ("in_progress",), "resolved", ("assignee",), "resolvedAt"),
    "rate": Transition("rate", ("resolved",), "closed", ("resident",), "closedAt"),
    "cancel": Transition("cancel", ("submitted", "accepted", "assigned"), "cancelled", ("resident",), "cancelledAt"),
}


def request_hash(data: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


class WorkOrderService:
    def __init__(self, ctx: RequestContext) -> None:
        self.ctx = ctx
        self.p = ctx.platform
        self.scope = ctx.scope

    # -- visibility ---------------------------------------------------------------------
    def visible_filter(self) -> dict[str, Any]:
        pr = self.scope.require()
        if pr.role == "resident":
            return {"$or": [{"submittedBy": pr.user_id}, {"residentId": pr.resident_id or "\x00"}]}
        if pr.role == "department_staff":  # the orders ever handed to their department (linkage)
            return {"linkageDepartments": pr.department_id or "\x00"}
        f = self.scope.community_filter()
        if pr.role == "grid_worker":
            return {"$and": [f, {"$or": [{"gridId": {"$in": list(pr.grid_ids)}}, {"assigneeId": pr.user_id}]}]}
        return f

    async def get(self, id: str) -> dict[str, Any]:
        doc = await self.p.work_orders.get(id, self.visible_filter())
        if doc is None:
            raise NotFound("work order")
        return doc

    async def list(self, f: dict[str, Any], first: int, after: str | None) -> Page:
        clauses: list[dict[str, Any]] = [self.visible_filter()]
        pr = self.scope.require()
        if f.get("states"):
            bad = [s for s in f["states"] if s not in STATES]
            if bad:
                raise BadUserInput({"filter.states": f"未知状态 {bad} (unknown states; use WorkOrderState values)"})
            clauses.append({"state": {"$in": f["states"]}})
        for key, field in (("item_id", "itemId"), ("grid_id", "gridId"), ("resident_id", "residentId"),
                           ("community_id", "communityId")):
            if f.get(key):
                clauses.append({field: f[key]})
        if f.get("channels"):
            clauses.append({"channel": {"$in": f["channels"]}} if "mini_program" not in f["channels"] else
                           {"$or": [{"channel": {"$in": f["channels"]}}, {"channel": {"$exists": False}}]})
        if f.get("number"):
            clauses.append(number_filter(f["number"]))
        if f.get("assigned_to_me"):
            clauses.append({"assigneeId": pr.user_id})
        if f.get("overdue"):
            clauses.append({"state": {"$in": list(OPEN_STATES)}, "dueAt": {"$lt": datetime.now(UTC)}})
        if f.get("since") or f.get("until"):
            rng: dict[str, Any] = {}
            if f.get("since"):
                rng["$gte"] = as_utc(f["since"])
            if f.get("until"):
                rng["$lt"] = as_utc(f["until"])
            if "$gte" in rng and "$lt" in rng and rng["$gte"] >= rng["$lt"]:
                raise BadUserInput({"filter.since": "开始时间应早于结束时间 (since must be before until)"})
            clauses.append({"createdAt": rng})
        query = {"$and": clauses} if len(clauses) > 1 else clauses[0]
        return await self.p.work_orders.page(query, first, after, newest_first=True)

    # -- submission ---------------------------------------------------------------------
    async def _subject(self, resident_id: str | None) -> dict[str, Any]:
        """The resident the order is for: yourself, a ward, or (staff) a resident in scope."""
        pr = self.scope.require()
        if pr.role == "resident":
            if not pr.resident_id:
                raise Forbidden("请先绑定居民身份 (bind your resident record before submitting)")
            target = resident_id or pr.resident_id
            if target != pr.resident_id:
                ward = await self.p.db["guardianships"].find_one({"guardianResidentId": pr.resident_id,
                                                                  "wardResidentId": target})
                if ward is None:
                    raise Forbidden("只能为本人或被监护的家人提交 (only for yourself or family you are guardian of)")
            doc = await self.p.residents.get(target)
        elif pr.role in ("community_admin", "grid_worker", "hotline_operator"):
            if not resident_id:
                raise BadUserInput({"input.residentId": "代居民提交时必填 (required when staff submit for a resident)"})
            doc = await self.p.residents.get(resident_id, self.scope.resident_filter())
        else:
            raise Forbidden("请切换到社区后代居民提交 (submit as a resident, community admin or grid worker)")
        if doc is None:
            raise NotFound("resident")
        return doc

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
        resident = subject or await self._subject(data.get("resident_id"))
        now = datetime.now(UTC)
        errors = FieldErrors()
        item = None
        if data.get("item_id"):
            item = await self.p.service_items.get(data["item_id"])
            community = await self.ctx.loaders.by_id("regions").load(resident["communityId"])
            if item is None or item["state"] != "published" or not (
                    item["communityId"] == resident["communityId"] or item["regionId"] in community["path"]):
                raise BadUserInput({"input.itemId": "服务事项不存在或未发布 (no such published item for this community)"})
            if problems := eligibility_problems(item, resident):
                raise Forbidden("不符合申请条件: " + "；".join(problems), reasons=problems)
            forms.validate_answers(item["form"], data.get("answers") or {})
        else:
            if not (data.get("description") or "").strip():
                errors.add("input.description", "请描述问题 (describe the problem, or choose a service item)")
            if data.get("answers"):
                errors.add("input.answers", "问题上报没有表单，请不要填写 answers (a report has no form: omit answers)")
        if len(data.get("description") or "") > MAX_DESCRIPTION:
            errors.add("input.description", f"最多{MAX_DESCRIPTION}字 (at most {MAX_DESCRIPTION} characters)")
        location = None
        if data.get("longitude") is not None or data.get("latitude") is not None:
            lon, lat = data.get("longitude"), data.get("latitude")
            if lon is None or lat is None:
                errors.add("input.longitude" if lon is None else "input.latitude",
                           "经度和纬度需同时提供 (give both longitude and latitude)")
            else:
                if not -180 <= lon <= 180:
                    errors.add("input.longitude", "经度应在 -180 到 180 之间 (longitude must be within -180..180)")
                if not -90 <= lat <= 90:
                    errors.add("input.latitude", "纬度应在 -90 到 90 之间 (latitude must be within -90..90)")
                location = {"type": "Point", "coordinates": [lon, lat]}
        errors.raise_if_any()
        grid_id = resident.get("gridId")
        if location is not None:
            grid = await self.p.grids.at_point(location["coordinates"][0], location["coordinates"][1],
                                               {"communityId": resident["communityId"]})
            if grid is None:
                where = "该位置不在本社区的网格内，请确认定位，或不带位置上报 (the location is outside every grid of the " \
                        "resident's community: check the pin, or report without a location)"
                raise BadUserInput({"input.longitude": where, "input.latitude": where})
            grid_id = grid["_id"]
        files = unique_files([(fid, f"input.attachments.{i}") for i, fid in enumerate(data.get("attachments") or [])]
                             + (forms.file_ids_in(item["form"], data.get("answers") or {}) if item else []))
        sla = item["slaHours"] if item else REPORT_SLA_HOURS
        order_id = new_id()
        doc = {
            "_id": order_id, "communityId": resident["communityId"], "regionPath": resident["regionPath"],
            "gridId": grid_id, "kind": "service" if item else "report",
            "itemId": item["_id"] if item else None, "title": item["title"] if item else "问题上报",
            "formVersion": item["formVersion"] if item else None, "answers": data.get("answers") or {},
            "description": (data.get("description") or "").strip(), "location": location,
            "attachments": [fid for fid, _ in files],
            "residentId": resident["_id"], "residentTags": resident.get("tags", []),
            "submittedBy": pr.user_id, "submittedByRole": pr.role, "state": "submitted", "version": 1,
            "channel": CHANNEL_OF_ROLE.get(pr.role, "mini_program"), "notifyUserIds": notify,
            "assigneeId": None, "dueAt": now + timedelta(hours=sla), "createdAt": now, "updatedAt": now,
            "timeline": [self._event("submit", None, "submitted", now)],
        }
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
        pr = self.scope.principal
        return {"at": at, "action": action, "from": from_state, "to": to_state, "note": note,
                "actorId": pr.user_id if pr else "system", "actorRole": pr.role if pr else "system",
                "actorName": pr.display_name if pr else "系统", **extra}

    def _check_role(self, t: Transition, order: dict[str, Any]) -> None:
        pr = self.scope.require()
        if "assignee" in t.roles and pr.role == "grid_worker" and order.get("assigneeId") in (None, pr.user_id):
            return  # not yet assigned: the state check answers CONFLICT
        if "resident" in t.roles and pr.role == "resident" and (
                order["submittedBy"] == pr.user_id or order["residentId"] == pr.resident_id):
            return
        if pr.role in t.roles:
            return
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
        event = {"at": now, "action": "auto_close", "from": "resolved", "to": "closed",
                 "note": f"{days:g}天未评价，自动办结 (closed automatically after {days:g} days without a rating)",
                 "actorId": "system", "actorRole": "system", "actorName": "系统"}
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
