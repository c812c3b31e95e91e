"""The low-code service catalogue: admins draft, publish, pause and archive service items
with eligibility rules and a JSON-Schema application form, without writing code."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from community_plus.platform.context import RequestContext
from community_plus.domains.family.wards import items_visible_to, ward_of_caller
from community_plus.platform.errors import BadUserInput, Conflict, FieldErrors, Forbidden, NotFound
from community_plus.platform.repository import Page, new_id
from community_plus.platform.transactions import in_transaction
from community_plus.domains.catalogue import forms
from community_plus.platform.validation import MAX_AGE
from community_plus.domains.residents.service import TAGS

KINDS = ("public", "volunteer", "commercial")
STATES = ("draft", "published", "paused", "archived")
# allowed lifecycle moves: state → states it may go to
LIFECYCLE = {"draft": {"published", "archived"}, "published": {"paused", "archived"},
             "paused": {"published", "archived"}, "archived": set()}
ADMIN_ROLES = ("platform_admin", "region_admin", "community_admin")
STATE_TEXT = {"draft": "草稿", "published": "已发布", "paused": "已暂停", "archived": "已归档"}
TAG_TEXT = {"elderly": "老年人", "child": "儿童", "disabled": "残疾人", "low_income": "低收入", "left_behind": "留守人员",
            "veteran": "退役军人", "new_citizen": "新市民", "living_alone": "独居", "special_care": "特殊关爱"}
MAX_MATERIALS = 20


def eligibility_problems(item: dict[str, Any], resident: dict[str, Any], today: date | None = None) -> list[str]:
    """Why a resident may not use a service item (empty when eligible)."""
    rule = item.get("eligibility") or {}
    problems = []
    tags = rule.get("tags") or []
    if tags and not set(tags) & set(resident.get("tags", [])):
        problems.append(f"仅限以下人群: {'、'.join(TAG_TEXT.get(t, t) for t in tags)} "
                        f"(only for residents tagged {', '.join(t.upper() for t in tags)})")
    birth = resident.get("birthDate")
    if birth is not None and (rule.get("ageMin") is not None or rule.get("ageMax") is not None):
        today = today or date.today()
        b = birth.date()
        age = today.year - b.year - ((today.month, today.day) < (b.month, b.day))
        if rule.get("ageMin") is not None and age < rule["ageMin"]:
            problems.append(f"年龄需满{rule['ageMin']}岁 (minimum age {rule['ageMin']})")
        if rule.get("ageMax") is not None and age > rule["ageMax"]:
            problems.append(f"年龄需不超过{rule['ageMax']}岁 (maximum age {rule['ageMax']})")
    if rule.get("registrationRequired") and not resident.get("registered", True):
        problems.append("需要本地户籍 (local household registration required)")
    return problems


def eligibility_query(resident: dict[str, Any]) -> dict[str, Any]:
    """The same rules as a MongoDB filter, so 'items I am eligible for' pages in the database."""
    b = resident["birthDate"].date() if resident.get("birthDate") else None
    today = date.today()
    age = today.year - b.year - ((today.month, today.day) < (b.month, b.day)) if b else None
    clauses: list[dict[str, Any]] = [
        {"$or": [{"eligibility.tags": {"$in": [None, []]}}, {"eligibility.tags": {"$in": resident.get("tags", [])}}]}]
    if age is not None:
        clauses.append({"$or": [{"eligibility.ageMin": None}, {"eligibility.ageMin": {"$lte": age}}]})
        clauses.append({"$or": [{"eligibility.ageMax": None}, {"eligibility.ageMax": {"$gte": age}}]})
    if not resident.get("registered", True):
        clauses.append({"eligibility.registrationRequired": {"$ne": True}})
    return {"$and": clauses}


class CatalogueService:
    def __init__(self, ctx: RequestContext) -> None:
        self.ctx = ctx
        self.p = ctx.platform
        self.scope = ctx.scope

    async def _owner_region(self, community_id: str | None, region_id: str | None) -> dict[str, Any]:
        """The community or region an item belongs to, checked against the admin's scope."""
        pr = self.scope.require_role(*ADMIN_ROLES)
        target = community_id or region_id or self.scope.community_id or pr.community_id or pr.region_id
        region = await self.ctx.loaders.by_id("regions").load(target) if target else None
        if region is None:
            raise BadUserInput({"input.communityId": "请指定社区或区域 (give a communityId or regionId)"})
        if not self.scope.covers_community(region):
            raise Forbidden()
        if pr.role == "community_admin" and region["level"] != "community":
            raise Forbidden("社区管理员只能为本社区创建服务 (community admins create items for their community)")
        return region

    def _validate(self, data: dict[str, Any], creating: bool) -> dict[str, Any]:
        errors = FieldErrors()
        out: dict[str, Any] = {}
        for field, limit in (("title", 60), ("description", 2000), ("category", 30), ("provider", 60)):
            if field in data and data[field] is not None:
                value = str(data[field]).strip()
                if field == "title" and not value:
                    errors.add("input.title", "标题必填 (title is required)")
                if len(value) > limit:
                    errors.add(f"input.{field}", f"最多{limit}字 (at most {limit} characters)")
                out[field] = value
            elif creating and field == "title":
                errors.add("input.title", "标题必填 (title is required)")
        kinds = " / ".join(k.upper() for k in KINDS)
        if "kind" in data and data["kind"] is not None:
            if data["kind"] not in KINDS:
                errors.add("input.kind", f"未知的服务类型 (use one of {kinds})")
            out["kind"] = data["kind"]
        elif creating:
            errors.add("input.kind", f"服务类型必填 (required: one of {kinds})")
        if data.get("sla_hours") is not None:
            if not 1 <= data["sla_hours"] <= 24 * 90:
                errors.add("input.slaHours", "应在 1 到 2160 小时之间 (between 1 and 2160 hours)")
            out["slaHours"] = data["sla_hours"]
        elif creating:
            out["slaHours"] = 72
        if data.get("materials") is not None:
            out["materials"] = [m.strip() for m in data["materials"] if m and m.strip()]
            if len(out["materials"]) > MAX_MATERIALS:
                errors.add("input.materials", f"最多{MAX_MATERIALS}项 (at most {MAX_MATERIALS} items)")
            for i, m in enumerate(data["materials"]):
                if m and len(m.strip()) > 100:
                    errors.add(f"input.materials.{i}", "最多100字 (at most 100 characters)")
        if data.get("eligibility") is not None:
            e = data["eligibility"]
            bad = [t for t in e.get("tags") or [] if t not in TAGS]
            if bad:
                errors.add("input.eligibility.tags", f"未知标签 {bad} (unknown tags; use ResidentTag values)")
            lo, hi = e.get("age_min"), e.get("age_max")
            for key, value in (("ageMin", lo), ("ageMax", hi)):
                if value is not None and not 0 <= value <= MAX_AGE:
                    errors.add(f"input.eligibility.{key}", f"应在 0 到 {MAX_AGE} 之间 (must be between 0 and {MAX_AGE})")
            if lo is not None and hi is not None and lo > hi:
                errors.add("input.eligibility.ageMax", "应不小于 ageMin (must be ≥ ageMin)")
            out["eligibility"] = {"tags": list(e.get("tags") or []), "ageMin": lo, "ageMax": hi,
                                  "registrationRequired": bool(e.get("registration_required"))}
        elif creating:
            out["eligibility"] = {"tags": [], "ageMin": None, "ageMax": None, "registrationRequired": False}
        errors.raise_if_any()
        return out

    async def create(self, data: dict[str, Any]) -> dict[str, Any]:
        region = await self._owner_region(data.get("community_id"), data.get("region_id"))
        values = self._validate(data, creating=True)
        form = forms.check_form_schema(data.get("form") or {"type": "object", "properties": {}})
        now = datetime.now(UTC)
        item_id = new_id()
        is_community = region["level"] == "community"
        doc = {"_id": item_id, "communityId": region["_id"] if is_community else None,
               "regionId": None if is_community else region["_id"], "regionPath": [*region["path"], region["_id"]],
               "state": "draft", "formVersion": 1, "form": form, "createdAt": now, "updatedAt": now, "version": 1,
               "materials": [], "category": "其他", "provider": None, "description": "", **values}

        async def write(session):
            await self.p.service_items.insert(doc, session=session)
            await self.p.service_forms.insert({"_id": f"{item_id}:1", "itemId": item_id, "version": 1,
                                               "schema": form, "createdAt": now}, session=session)

        await in_transaction(self.p.client, write)
        return doc

    async def _editable(self, id: str) -> dict[str, Any]:
        self.scope.require_role(*ADMIN_ROLES)
        item = await self.p.service_items.get(id)
        if item is None:
            raise NotFound("service item")
        owner = await self.ctx.loaders.by_id("regions").load(item["communityId"] or item["regionId"])
        if owner is None or not self.scope.covers_community(owner):
            raise NotFound("service item")  # out of scope reads as absent (no existence oracle)
        return item

    async def update(self, id: str, data: dict[str, Any]) -> dict[str, Any]:
        item = await self._editable(id)
        values = self._validate(data, creating=False)
        now = datetime.now(UTC)
        form = data.get("form")
        if form is not None:
            form = forms.check_form_schema(form)
            values.update(form=form, formVersion=item["formVersion"] + 1)
        values["updatedAt"] = now
        expected = {"version": data["version"]} if data.get("version") is not None else {"version": item["version"]}

        async def write(session):
            updated = await self.p.service_items.update(id, expected, values, session=session)
            if updated is None:
                raise Conflict("服务事项已被他人修改，请刷新 (the item changed meanwhile: reload and retry)")
            if form is not None:
                await self.p.service_forms.insert({"_id": f"{id}:{values['formVersion']}", "itemId": id,
                                                   "version": values["formVersion"], "schema": form,
                                                   "createdAt": now}, session=session)
            return updated

        return await in_transaction(self.p.client, write)

    async def set_state(self, id: str, state: str) -> dict[str, Any]:
        item = await self._editable(id)
        if state not in STATES:
            raise BadUserInput({"state": f"未知状态 (use one of {' / '.join(s.upper() for s in STATES)})"})
        if state not in LIFECYCLE[item["state"]]:
            raise Conflict(f"服务事项不能从「{STATE_TEXT[item['state']]}」变为「{STATE_TEXT[state]}」 (cannot move from "
                           f"{item['state'].upper()} to {state.upper()})", state=item["state"].upper())
        updated = await self.p.service_items.update(id, {"state": item["state"], "version": item["version"]},
                                                    {"state": state, "updatedAt": datetime.now(UTC)})
        if updated is None:
            raise Conflict("服务事项已被他人修改，请刷新 (the item changed meanwhile: reload and retry)")
        return updated

    # -- reads --------------------------------------------------------------------------
    async def visible_filter(self, community_id: str | None) -> dict[str, Any]:
        """Items of a community plus items its ancestors' admins published for the subtree."""
        pr = self.scope.require()
        cid = community_id or self.scope.community_id or pr.community_id
        if cid:
            community = await self.ctx.loaders.by_id("regions").load(cid)
            if community is None or not self.scope.covers_community(community):
                raise NotFound("community")
            return {"$or": [{"communityId": cid}, {"regionId": {"$in": community["path"]}}]}
        if pr.role == "platform_admin":
            return {}
        return {"regionPath": pr.region_id}

    async def get(self, id: str) -> dict[str, Any]:
        item = await self.ctx.loaders.by_id("service_items").load(id)
        if item is None:
            raise NotFound("service item")
        pr = self.scope.require()
        owner = await self.ctx.loaders.by_id("regions").load(item["communityId"] or item["regionId"])
        visible = self.scope.covers_community(owner) if pr.role in ADMIN_ROLES else (
            item["communityId"] == pr.community_id or item["regionId"] in
            ((await self.ctx.loaders.by_id("regions").load(pr.community_id)) or {}).get("path", []))
        if not visible or (pr.role not in ADMIN_ROLES and item["state"] != "published"):
            raise NotFound("service item")
        return item

    async def list(self, f: dict[str, Any], first: int, after: str | None) -> Page:
        pr = self.scope.require()
        ward = await ward_of_caller(self.ctx, f.get("resident_id")) if f.get("eligible_only") else None
        if ward is not None:  # a guardian in the family service hall: the ward's community's items
            community = await self.ctx.loaders.by_id("regions").load(ward["communityId"])
            clauses = [items_visible_to(ward, community or {})]
        else:
            clauses = [await self.visible_filter(f.get("community_id"))]
        states = f.get("states")
        if pr.role not in ADMIN_ROLES:
            states = ["published"]
        if states:
            clauses.append({"state": {"$in": states}})
        if f.get("kind"):
            clauses.append({"kind": f["kind"]})
        if f.get("category"):
            clauses.append({"category": f["category"]})
        if f.get("eligible_only"):
            resident_id = f.get("resident_id") or pr.resident_id
            resident = ward or (await self.p.residents.get(resident_id, self.scope.resident_filter())
                                if resident_id else None)
            if resident is None:
                raise BadUserInput({"filter.residentId": "需要已绑定的居民 (a bound resident is needed)"})
            clauses.append(eligibility_query(resident))
        query = {"$and": clauses} if len(clauses) > 1 else clauses[0]
        return await self.p.service_items.page(query, first, after)
