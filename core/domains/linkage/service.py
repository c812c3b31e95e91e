"""Linkage rules: who holds an order, escalation up the region tree, dispatch to departments,
hand-back with instructions, resolution by the holder, overdue alerts, statistics.

The holder of an order is its community until it is escalated; after that `order.linkage`
names it (`holderType` community | region | department, `holderId`, `hopId`). Only the
holder's staff move it on: the community's admins, a region's `region_admin`s (a street's,
a district's…), a department's `department_staff`. Every move is compare-and-set on the
current hop, so of two concurrent moves exactly one wins (the other gets CONFLICT)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from community_plus.platform.context import RequestContext
from community_plus.platform.errors import BadUserInput, Conflict, Forbidden, NotFound
from community_plus.domains.work_orders.events import record_work_order
from community_plus.platform.repository import Page, new_id
from community_plus.domains.audit import service as audit
from community_plus.domains.notifications.service import TEMPLATE, WORK_ORDER_PAGE, notice_messages
from community_plus.domains.work_orders.service import OPEN_STATES, WorkOrderService, enum_name
from community_plus.platform.transactions import in_transaction
from community_plus.domains.inputs import required_text

MAX_TEXT = 1000
LEVEL_TEXT = {"community": "社区", "street": "街道", "district": "区县", "city": "市", "province": "省",
              "department": "职能部门"}
HOLDER_ROLE = {"community": "community_admin", "region": "region_admin", "department": "department_staff"}


def due_hours(setting: str) -> dict[str, float]:
    """`street=48,district=72,…` → hours per level (CP_LINKAGE_DUE_HOURS)."""
    out: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in setting.split(","))):
        level, _, hours = part.partition("=")
        out[level.strip()] = float(hours)
    return out


class LinkageService:
    def __init__(self, ctx: RequestContext) -> None:
        self.ctx = ctx
        self.p = ctx.platform
        self.scope = ctx.scope
        self.hops = ctx.platform.parts["linkage.hops"]
        self.orders = ctx.platform.parts["linkage.orders"]
        self.departments = ctx.platform.parts["linkage.departments"]
        self.staff = ctx.platform.parts["linkage.staff"]

    # -- holders ------------------------------------------------------------------------
    @staticmethod
    def holder_of(order: dict[str, Any]) -> dict[str, Any]:
        return order.get("linkage") or {"holderType": "community", "holderId": order["communityId"],
                                        "holderLevel": "community", "hopId": None}

    def my_holder(self) -> tuple[str, str] | None:
        pr = self.scope.require()
        if pr.role == "community_admin" and pr.community_id:
            return "community", pr.community_id
        if pr.role == "region_admin" and pr.region_id:
            return "region", pr.region_id
        if pr.role == "department_staff" and pr.department_id:
            return "department", pr.department_id
        return None

    async def _held(self, id: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """The order (NOT_FOUND outside the viewer's scope) and its holder, which must be the viewer's."""
        order = await WorkOrderService(self.ctx).get(id)
        holder = self.holder_of(order)
        if "holderName" not in holder:
            holder = {**holder, "holderName": (await self.ctx.loaders.by_id("regions").load(order["communityId"]))["name"]}
        if self.my_holder() != (holder["holderType"], holder["holderId"]):
            raise Forbidden(f"该工单当前由{holder.get('holderName') or LEVEL_TEXT[holder['holderLevel']]}办理 "
                            f"(only the current holder may move this order)")
        if order["state"] not in OPEN_STATES:
            raise Conflict(f"工单已{enum_name(order['state'])}，不能再流转 (the order is no longer open)",
                           state=enum_name(order["state"]))
        return order, holder

    async def _region_holder(self, region_id: str) -> dict[str, Any]:
        region = await self.ctx.loaders.by_id("regions").load(region_id)
        return {"holderType": "region" if region["level"] != "community" else "community", "holderId": region["_id"],
                "holderLevel": region["level"], "holderName": region["name"]}

    @staticmethod
    def _above(order: dict[str, Any], holder: dict[str, Any]) -> str | None:
        """The region one level above a region/community holder (alerts go there)."""
        path = order.get("regionPath") or []
        if holder["holderType"] == "department":
            return holder["regionId"]
        i = path.index(holder["holderId"]) if holder["holderId"] in path else 0
        return path[i - 1] if i > 0 else None

    # -- moves --------------------------------------------------------------------------
    async def escalate(self, id: str, reason: str | None, version: int | None) -> dict[str, Any]:
        reason = required_text("reason", reason, MAX_TEXT)
        order, holder = await self._held(id)
        if holder["holderType"] == "department":
            raise Forbidden("职能部门无法办理时请退回派单层级 (a department hands the order back instead)")
        above = self._above(order, holder)
        if above is None:
            raise Conflict("已是最高层级，无法继续上报 (already at the top of the region tree)")
        return await self._move(order, holder, "escalate", await self._region_holder(above), reason, version)

    async def dispatch(self, id: str, department_id: str, instructions: str | None,
                       version: int | None) -> dict[str, Any]:
        instructions = required_text("instructions", instructions, MAX_TEXT)
        order, holder = await self._held(id)
        if holder["holderType"] != "region":
            raise Forbidden("只有街道、区县等层级可以派给职能部门 (only a region level dispatches to departments)")
        dept = await self.departments.get(department_id)
        if dept is None or dept["regionId"] != holder["holderId"]:
            raise BadUserInput({"departmentId": "应为本层级的职能部门 (must be a department of this level)"})
        target = {"holderType": "department", "holderId": dept["_id"], "holderLevel": "department",
                  "holderName": dept["name"], "regionId": dept["regionId"]}
        return await self._move(order, holder, "dispatch", target, instructions, version, department_id=dept["_id"])

    async def hand_back(self, id: str, instructions: str | None, version: int | None) -> dict[str, Any]:
        instructions = required_text("instructions", instructions, MAX_TEXT)
        order, holder = await self._held(id)
        if holder["holderType"] == "community":
            raise Conflict("工单在社区办理，无可退回的层级 (the order is with its community: nothing to hand back to)")
        hop = await self.hops.get(holder["hopId"])
        target = {k: v for k, v in hop["from"].items() if k != "hopId"}
        return await self._move(order, holder, "hand_back", target, instructions, version)

    async def resolve(self, id: str, note: str | None, version: int | None) -> dict[str, Any]:
        note = required_text("note", note, MAX_TEXT)
        order, holder = await self._held(id)
        if holder["holderType"] == "community":
            raise Forbidden("社区办理的工单请按工单流程办结 (a community resolves through the work-order flow)")
        return await self._move(order, holder, "resolve", None, note, version)

    async def _move(self, order: dict[str, Any], holder: dict[str, Any], action: str, target: dict[str, Any] | None,
                    text: str, version: int | None = None, department_id: str | None = None) -> dict[str, Any]:
        pr = self.scope.require()
        now = datetime.now(UTC)
        changes: dict[str, Any] = {}
        if target is None:  # resolved by the holder
            linkage = {**holder, "state": "resolved"}
            changes = {"state": "resolved", "resolvedAt": now, "resolution": text}
            event_to, note = "resolved", f"{holder.get('holderName', '')}办结：{text}"
        else:
            hours = due_hours(self.p.settings.linkage_due_hours).get(target["holderLevel"], 72)
            hop = {"_id": new_id(), "orderId": order["_id"], "communityId": order["communityId"],
                   "regionPath": order.get("regionPath", []), "action": action,
                   "from": {k: holder.get(k) for k in ("holderType", "holderId", "holderLevel", "holderName", "regionId")
                            if holder.get(k) is not None} | {"hopId": holder.get("hopId")},
                   **target, "text": text, "at": now, "dueAt": now + timedelta(hours=hours), "state": "open",
                   "alertedAt": None, "aboveId": self._above(order, target), "actorId": pr.user_id,
                   "actorName": pr.display_name}
            linkage = {**target, "hopId": hop["_id"], "dueAt": hop["dueAt"], "state": "open"}
            event_to, note = None, f"{ACTION_TEXT[action]}至{target.get('holderName', '')}：{text}"
        event = {"at": now, "action": action, "from": order["state"] if target is None else None, "to": event_to,
                 "note": note, "actorId": pr.user_id, "actorRole": pr.role, "actorName": pr.display_name}
        outcome = {"escalate": "escalated", "dispatch": "dispatched", "hand_back": "handed_back",
                   "resolve": "resolved"}[action]

        async def write(session):
            updated = await self.orders.move(order["_id"], holder.get("hopId"), version, linkage, event,
                                             department_id=department_id, changes=changes,
                                             from_states=list(OPEN_STATES), session=session)
            if updated is None:
                return None
            if holder.get("hopId"):
                await self.hops.close(holder["hopId"], outcome, now, session=session)
            if target is not None:
                await self.hops.insert(hop, session=session)
                recipients = await self.staff.of_holders([(target["holderType"], target["holderId"])], session)
                await self.p.outbox.insert_many(_messages(updated, [u["_id"] for u in recipients], "待办理"),
                                                session=session)
            await record_work_order(self.p, updated, order["state"], session=session)
            return updated

        updated = await in_transaction(self.p.client, write)
        if updated is None:
            raise Conflict("工单已被他人流转，请刷新后重试 (the order moved meanwhile: reload it)")
        await audit.record(self.ctx, action, "work_order", updated, ["linkage"])
        return updated

    # -- reads --------------------------------------------------------------------------
    async def queue(self, include_closed: bool, first: int, after: str | None) -> Page:
        holder = self.my_holder()
        if holder is None:
            raise Forbidden("您的角色没有联动待办 (your role holds no linkage queue)")
        query: dict[str, Any] = {"holderId": holder[1]}
        if not include_closed:
            query["state"] = "open"
        return await self.hops.page(query, first, after, newest_first=True)

    async def statistics(self, region_id: str | None, since: datetime, until: datetime,
                         now: datetime | None = None) -> dict[str, Any]:
        """Hops received per level and per department: resolved, passed on, handed back, overdue."""
        pr = self.scope.require_role("platform_admin", "region_admin", "community_admin")
        target = region_id or self.scope.community_id or pr.community_id or pr.region_id
        region = await self.ctx.loaders.by_id("regions").load(target) if target else None
        if region is None or not self.scope.covers_community(region):
            raise NotFound("region")
        now = now or datetime.now(UTC)
        facets = await self.hops.figures(region["_id"], since, until, now)
        return {"regionId": region["_id"], "since": since, "until": until, **facets}

    async def hops_of(self, order_id: str, first: int, after: str | None) -> Page:
        order = await WorkOrderService(self.ctx).get(order_id)  # NOT_FOUND outside the viewer's scope
        return await self.hops.page({"communityId": order["communityId"], "orderId": order_id}, first, after)


ACTION_TEXT = {"escalate": "上报", "dispatch": "派至", "hand_back": "退回"}


def _messages(order: dict[str, Any], user_ids: list[str], phrase: str, title: str | None = None) -> list[dict[str, Any]]:
    """In-app (and WeChat, where bound) notices to the staff of a holder."""
    return notice_messages(user_ids, template=TEMPLATE, title=title or order["title"], state=phrase,
                           page=f"{WORK_ORDER_PAGE}?id={order['_id']}", aggregate_id=order["_id"],
                           event=f"linkage:{phrase}")


async def alert_overdue(platform: Any, now: datetime | None = None) -> int:
    """Open hops past their due time alert the staff of the level above (once per hop)."""
    now = now or datetime.now(UTC)
    hops, staff = platform.parts["linkage.hops"], platform.parts["linkage.staff"]
    due = await hops.overdue(now)
    if not due:
        return 0
    above = await staff.of_holders([("region", h["aboveId"]) for h in due if h.get("aboveId")])
    by_region: dict[str, list[str]] = {}
    for u in above:
        by_region.setdefault(u.get("regionId"), []).append(u["_id"])
    orders = await platform.work_orders.get_many([h["orderId"] for h in due])
    alerted = 0
    for hop in due:
        order = orders.get(hop["orderId"])

        async def write(session, hop=hop, order=order):
            if not await hops.mark_alerted(hop["_id"], now, session=session):
                return False
            if order is not None:
                title = f"{hop.get('holderName', '')}超时未办：{order['title']}"  # the phrase is one word
                await platform.outbox.insert_many(
                    _messages(order, by_region.get(hop.get("aboveId"), []), "超时未办", title), session=session)
            return True

        alerted += bool(await in_transaction(platform.client, write))
    return alerted
