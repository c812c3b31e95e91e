"""Hotline rules: who may take calls, caller lookup (audited), filing on the caller's behalf,
the call record in the order's transaction, and the return visit (回访) of phone orders."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pymongo.errors import DuplicateKeyError

from community_plus.platform.context import RequestContext
from community_plus.platform.errors import BadUserInput, Conflict, FieldErrors, NotFound
from community_plus.domains.work_orders.events import record_work_order
from community_plus.platform.repository import Page, new_id
from community_plus.domains.audit import service as audit
from community_plus.domains.work_orders.service import WorkOrderService
from community_plus.platform.transactions import in_transaction
from community_plus.platform.validation import mask_phone, normalize_phone, phone_problem
from community_plus.domains.inputs import clean_text

OPERATORS = ("hotline_operator",)
READERS = ("hotline_operator", "community_admin", "region_admin", "platform_admin")
MAX_SUMMARY = 1000
SATISFACTION = ("very_satisfied", "satisfied", "basically_satisfied", "dissatisfied")
SATISFIED = ("very_satisfied", "satisfied", "basically_satisfied")


class HotlineService:
    def __init__(self, ctx: RequestContext) -> None:
        self.ctx = ctx
        self.p = ctx.platform
        self.scope = ctx.scope
        self.calls = ctx.platform.parts["hotline.calls"]
        self.visits = ctx.platform.parts["hotline.visits"]

    def _phone(self, phone: str, path: str) -> str:
        if problem := phone_problem(phone or ""):
            raise BadUserInput({path: problem})
        return normalize_phone(phone)

    # -- lookup -------------------------------------------------------------------------
    async def find_callers(self, phone: str, first: int, after: str | None) -> Page:
        """Residents of the operator's region with this phone, through the blind index; audited."""
        pr = self.scope.require_role(*OPERATORS)
        number = self._phone(phone, "phone")
        query = {"phoneHash": {"$in": self.p.keyring.blind_indexes(number, "phone")}, **self.scope.resident_filter()}
        page = await self.p.residents.page(query, first, after)
        await audit.record(self.ctx, "lookup_phone", "hotline_caller",
                           {"_id": new_id(), "regionPath": [pr.region_id]}, ["phone"],
                           phoneMasked=mask_phone(number), residentIds=[d["_id"] for d in page.docs])
        return page

    # -- calls --------------------------------------------------------------------------
    async def _community(self, community_id: str | None) -> dict[str, Any]:
        if not community_id:
            raise BadUserInput({"input.communityId": "未登记的来电人需指定所在社区 (give the caller's community)"})
        community = await self.ctx.loaders.by_id("regions").load(community_id)
        if community is None or community.get("level") != "community" or not self.scope.covers_community(community):
            raise NotFound("community")
        return community

    async def take_call(self, data: dict[str, Any]) -> dict[str, Any]:
        """Record a call and, unless it was only an enquiry, file the work order it asks for."""
        pr = self.scope.require_role(*OPERATORS)
        errors = FieldErrors()
        summary = clean_text(errors, "input.summary", data.get("summary"), MAX_SUMMARY, required=True)
        caller_name = clean_text(errors, "input.callerName", data.get("caller_name"), 50)
        if problem := phone_problem(data.get("phone") or ""):
            errors.add("input.phone", problem)
        file_order = data.get("file_order", True)
        if not file_order and (data.get("item_id") or data.get("description")):
            errors.add("input.fileOrder", "只咨询的来电不能带工单内容 (an enquiry files no order: omit item and description)")
        errors.raise_if_any()
        number = normalize_phone(data["phone"])
        resident = None
        if data.get("resident_id"):
            resident = await self.p.residents.get(data["resident_id"], self.scope.resident_filter())
            if resident is None:
                raise NotFound("resident")
            community = await self.ctx.loaders.by_id("regions").load(resident["communityId"])
        else:
            if not caller_name:
                raise BadUserInput({"input.callerName": "未登记的来电人需填写姓名 (name the unregistered caller)"})
            if data.get("item_id"):
                raise BadUserInput({"input.itemId": "未登记的来电人只能反映问题，不能申请服务事项 (an unregistered "
                                                    "caller can report a problem, not apply for a service item)"})
            community = await self._community(data.get("community_id"))
        now = datetime.now(UTC)
        call = {"_id": new_id(), "communityId": community["_id"], "regionPath": [*community["path"], community["_id"]],
                "operatorId": pr.user_id, "operatorName": pr.display_name, "at": now, "summary": summary,
                "residentId": resident["_id"] if resident else None,
                "callerName": caller_name or (resident["name"] if resident else ""),
                "registered": resident is not None, "kind": "order" if file_order else "enquiry",
                "workOrderId": None, **self._sealed_phone(number)}
        if not file_order:
            return await self.calls.insert(call)

        async def with_call(session, order: dict[str, Any]) -> None:
            call["workOrderId"] = order["_id"]
            saved = await self.calls.insert(call, session=session)
            call.update(saved)

        subject = None if resident else {"_id": None, "communityId": community["_id"], "gridId": None, "tags": [],
                                          "regionPath": call["regionPath"]}
        order_input = {k: data[k] for k in ("item_id", "answers", "description", "longitude", "latitude",
                                            "attachments", "idempotency_key") if data.get(k) is not None}
        if resident:
            order_input["resident_id"] = resident["_id"]
            order_input["notify_user_ids"] = await self.p.parts["hotline.accounts"].of_resident(resident["_id"])
        order = await WorkOrderService(self.ctx).submit(order_input, subject=subject, also_write=with_call)
        if call["workOrderId"] is None:  # an idempotent replay of an order filed before
            found = await self.calls.of_order(order)
            return found or call
        return call

    def _sealed_phone(self, number: str) -> dict[str, Any]:
        kr = self.p.keyring
        return {"callerPhoneSealed": kr.seal(number, "phone"), "callerPhoneHash": kr.blind_index(number, "phone"),
                "callerPhoneMasked": mask_phone(number), "pii": {"k": kr.current_id}}

    def _read_filter(self) -> dict[str, Any]:
        self.scope.require_role(*READERS)
        return self.scope.community_filter()

    async def list_calls(self, f: dict[str, Any], first: int, after: str | None) -> Page:
        clauses = [self._read_filter()]
        if f.get("phone"):
            number = self._phone(f["phone"], "filter.phone")
            clauses.append({"callerPhoneHash": {"$in": self.p.keyring.blind_indexes(number, "phone")}})
            await audit.record(self.ctx, "lookup_phone", "hotline_call",
                               {"_id": new_id(), "regionPath": [self.scope.require().region_id or ""]}, ["phone"],
                               phoneMasked=mask_phone(number))
        if f.get("community_id"):
            clauses.append({"communityId": f["community_id"]})
        if f.get("mine"):
            clauses.append({"operatorId": self.scope.require().user_id})
        return await self.calls.page({"$and": clauses}, first, after, newest_first=True)

    async def get_call(self, id: str) -> dict[str, Any]:
        doc = await self.calls.get(id, self._read_filter())
        if doc is None:
            raise NotFound("hotline call")
        return doc

    async def reveal_phone(self, call: dict[str, Any]) -> str | None:
        self.scope.require_role("hotline_operator", "community_admin")
        await audit.record(self.ctx, "reveal", "hotline_call", call, ["callerPhone"])
        return self.p.keyring.open(call.get("callerPhoneSealed"), "phone")

    # -- return visits (回访) ------------------------------------------------------------
    async def record_return_visit(self, data: dict[str, Any]) -> dict[str, Any]:
        pr = self.scope.require_role(*OPERATORS, "community_admin")
        errors = FieldErrors()
        note = clean_text(errors, "input.note", data.get("note"), MAX_SUMMARY)
        if data.get("satisfaction") not in SATISFACTION:
            errors.add("input.satisfaction", "未知的满意度 (unknown satisfaction)")
        errors.raise_if_any()
        orders = WorkOrderService(self.ctx)
        order = await orders.get(data["work_order_id"])
        if order.get("channel") != "hotline":
            raise BadUserInput({"input.workOrderId": "只有热线来电的工单需要回访 (only hotline orders get a return visit)"})
        if order["state"] not in ("resolved", "closed"):
            raise Conflict("工单办结后才能回访 (a return visit follows the resolution)", state=order["state"].upper())
        now = datetime.now(UTC)
        visit = {"_id": new_id(), "workOrderId": order["_id"], "communityId": order["communityId"],
                 "regionPath": order.get("regionPath", []), "operatorId": pr.user_id, "operatorName": pr.display_name,
                 "at": now, "satisfaction": data["satisfaction"], "reached": data.get("reached", True), "note": note}
        event = {"at": now, "action": "return_visit", "from": None, "to": None,
                 "note": f"回访：{SATISFACTION_TEXT[data['satisfaction']]}" + (f"。{note}" if note else ""),
                 "actorId": pr.user_id, "actorRole": pr.role, "actorName": pr.display_name}

        async def write(session):
            saved = await self.visits.insert(visit, session=session)
            if saved["_id"] != visit["_id"]:
                return saved, None  # a retry of the same request: the first attempt's visit
            updated = await self.p.work_orders.add_note(order["_id"], orders.visible_filter(), event, session=session)
            await record_work_order(self.p, updated, updated["state"], session=session)
            return saved, updated

        try:
            saved, _ = await in_transaction(self.p.client, write)
        except DuplicateKeyError as exc:
            raise Conflict("该工单已回访 (this order already has its return visit)", reason="ALREADY_VISITED") from exc
        return saved

    async def visit_of(self, order: dict[str, Any]) -> dict[str, Any] | None:
        return await self.visits.of_order(order)

    async def statistics(self, region_id: str | None, since: datetime, until: datetime) -> dict[str, Any]:
        """Calls, orders filed, unregistered callers and return-visit satisfaction in a window."""
        pr = self.scope.require_role(*READERS)
        target = region_id or self.scope.community_id or pr.community_id or pr.region_id
        region = await self.ctx.loaders.by_id("regions").load(target) if target else None
        if region is None or not self.scope.covers_community(region):
            raise NotFound("region")
        c = await self.calls.totals(region["_id"], since, until)
        by = await self.visits.count_by_satisfaction(region["_id"], since, until)
        n = sum(by.values())
        return {"calls": c["calls"], "ordersFiled": c["orders"], "unregisteredCallers": c["unregistered"],
                "returnVisits": n, "bySatisfaction": by,
                "satisfiedShare": sum(by.get(s, 0) for s in SATISFIED) / n if n else None}


SATISFACTION_TEXT = {"very_satisfied": "非常满意", "satisfied": "满意", "basically_satisfied": "基本满意",
                     "dissatisfied": "不满意"}
