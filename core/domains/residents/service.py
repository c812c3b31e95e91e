"""Residents: validated create/update, scoped reads with filters, audited reveals."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

from pymongo.errors import DuplicateKeyError

from community_plus.platform.context import RequestContext
from community_plus.platform.errors import BadUserInput, Conflict, FieldErrors, Forbidden, NotFound
from community_plus.platform.repository import Page, merge_clauses, new_id
from community_plus.platform.transactions import in_transaction
from community_plus.domains.residents.repository import as_datetime_utc
from community_plus.platform.validation import (MAX_AGE, birth_date_from_id, gender_from_id,
    id_number_problem, normalize_phone, phone_problem)
from community_plus.domains.audit import service as audit
from community_plus.domains.family.wards import ward_of_caller

TAGS = ("elderly", "child", "disabled", "low_income", "left_behind", "veteran", "new_citizen",
        "living_alone", "special_care")
GENDERS = ("male", "female")
RELATIONS = ("self", "spouse", "child", "parent", "grandchild", "grandparent", "sibling", "other")
REVEAL_ROLES = ("community_admin", "grid_worker")
WRITE_ROLES = ("platform_admin", "region_admin", "community_admin", "grid_worker")
MAX_NAME = 50
ADDRESS_LIMITS = {"building": 30, "unit": 30, "room": 30, "detail": 200}


as_datetime = as_datetime_utc


def prefix_range(prefix: str) -> dict[str, Any]:
    """Names starting with `prefix` as a range (`^prefix` without a regex, which no index
    planner serves from the `name` index here): [prefix, prefix with its last character's
    successor). MongoDB compares strings by UTF-8 bytes, i.e. by code point, so the two agree."""
    last = ord(prefix[-1])
    if last >= 0x10FFFF:
        return {"$regex": "^" + re.escape(prefix)}
    succ = 0xE000 if 0xD7FF <= last < 0xE000 else last + 1  # skip the surrogates
    return {"$gte": prefix, "$lt": prefix[:-1] + chr(succ)}


def years_ago(today: date, years: int) -> date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


class ResidentService:
    def __init__(self, ctx: RequestContext) -> None:
        self.ctx = ctx
        self.p = ctx.platform
        self.scope = ctx.scope

    # -- reads --------------------------------------------------------------------------
    async def get(self, id: str) -> dict[str, Any]:
        doc = await self.p.residents.get(id, self.scope.resident_filter())
        if doc is None:
            doc = await ward_of_caller(self.ctx, id)
        if doc is None:
            raise NotFound("resident")
        return doc

    def list_filter(self, f: dict[str, Any]) -> dict[str, Any]:
        """One flat filter (see `merge_clauses`) that the `residents` indexes serve: the scope
        (community, a grid worker's grids) first, then equalities, then at most one range."""
        q = self.scope.resident_filter()
        errors = FieldErrors()
        clauses: list[dict[str, Any]] = [q]
        if f.get("community_id"):
            clauses.append({"communityId": f["community_id"]})
        if f.get("grid_id"):
            clauses.append({"gridId": f["grid_id"]})
        if f.get("tags"):
            bad = [t for t in f["tags"] if t not in TAGS]
            if bad:
                errors.add("filter.tags", f"未知标签 {bad} (unknown tags; use ResidentTag values)")
            clauses.append({"tags": {"$all": list(f["tags"])}})
        if f.get("registered") is not None:
            clauses.append({"registered": f["registered"]})
        if f.get("name_prefix"):
            if len(f["name_prefix"]) > MAX_NAME:
                errors.add("filter.namePrefix", f"最多{MAX_NAME}字 (at most {MAX_NAME} characters: names are no longer)")
            clauses.append({"name": prefix_range(f["name_prefix"])})
        age_min, age_max = f.get("age_min"), f.get("age_max")
        for key, value in (("ageMin", age_min), ("ageMax", age_max)):
            if value is not None and not 0 <= value <= MAX_AGE:
                errors.add(f"filter.{key}", f"应在 0 到 {MAX_AGE} 之间 (must be between 0 and {MAX_AGE})")
        if age_max is not None and age_min is not None and age_max < age_min:
            errors.add("filter.ageMax", "应不小于 ageMin (must be ≥ ageMin)")
        errors.raise_if_any()
        today = date.today()
        birth: dict[str, Any] = {}
        if age_min is not None:
            birth["$lte"] = as_datetime(years_ago(today, age_min))
        if age_max is not None:
            birth["$gt"] = as_datetime(years_ago(today, age_max + 1))
        if birth:
            clauses.append({"birthDate": birth})
        return merge_clauses(*clauses)

    async def list(self, f: dict[str, Any], first: int, after: str | None) -> Page:
        return await self.p.residents.page(self.list_filter(f), first, after)

    async def reveal(self, doc: dict[str, Any], field: str) -> str | None:
        """The full value of a sensitive field, for permitted roles only; always audited."""
        pr = self.scope.require()
        own = pr.role == "resident" and pr.resident_id == doc["_id"]
        if not own and pr.role not in REVEAL_ROLES:
            raise Forbidden(f"无权查看完整的{ {'phone': '手机号', 'idNumber': '身份证号'}[field] } (your role may not reveal {field})")
        await audit.record(self.ctx, "reveal", "resident", doc, [field])
        return self.p.residents.reveal(doc, field)

    # -- writes -------------------------------------------------------------------------
    async def _validate(self, data: dict[str, Any], community_id: str, creating: bool) -> dict[str, Any]:
        errors = FieldErrors()
        out: dict[str, Any] = {}
        if "name" in data or creating:
            name = (data.get("name") or "").strip()
            if not name:
                errors.add("input.name", "姓名必填 (name is required)")
            elif len(name) > MAX_NAME:
                errors.add("input.name", f"姓名过长 (at most {MAX_NAME} characters)")
            out["name"] = name
        if data.get("id_number"):
            idn = data["id_number"].strip().upper()
            if problem := id_number_problem(idn):
                errors.add("input.idNumber", problem)
            else:
                out["idNumber"] = idn
                out.setdefault("birthDate", as_datetime(birth_date_from_id(idn)))
                out.setdefault("gender", gender_from_id(idn))
        if data.get("phone"):
            if problem := phone_problem(data["phone"]):
                errors.add("input.phone", problem)
            else:
                out["phone"] = normalize_phone(data["phone"])
        if data.get("gender") is not None:
            if data["gender"] not in GENDERS:
                errors.add("input.gender", "应为 MALE 或 FEMALE (must be MALE or FEMALE)")
            elif "idNumber" in out and out["gender"] != data["gender"]:
                errors.add("input.gender", "与身份证号不符 (does not match the ID number)")
        if data.get("birth_date") is not None:
            bd = data["birth_date"]
            if bd > date.today():
                errors.add("input.birthDate", "出生日期不能在未来 (birth date is in the future)")
            elif "idNumber" in out and out["birthDate"].date() != bd:
                errors.add("input.birthDate", "与身份证号不符 (does not match the ID number)")
            else:
                out["birthDate"] = as_datetime(bd)
        if creating and "birthDate" not in out:
            errors.add("input.birthDate", "出生日期或身份证号必填 (give a birth date or an ID number)")
        if creating and "gender" not in out and data.get("gender") in GENDERS:
            out["gender"] = data["gender"]
        if "tags" in data and data["tags"] is not None:
            bad = [t for t in data["tags"] if t not in TAGS]
            if bad:
                errors.add("input.tags", f"未知标签 {bad} (unknown tags; use ResidentTag values)")
            out["tags"] = sorted(set(data["tags"]))
        if data.get("relation") is not None:
            if data["relation"] not in RELATIONS:
                errors.add("input.relation", f"未知的关系 (use one of {', '.join(RELATIONS)})")
            out["relation"] = data["relation"]
        if data.get("household_id") is not None:
            household = data["household_id"].strip()
            if not household or len(household) > 64:
                errors.add("input.householdId", "户号应为1到64个字符 (1 to 64 characters)")
            elif not await self.p.residents.household_exists(community_id, household):
                errors.add("input.householdId", "本社区没有该户 (no such household in this community: omit "
                                                "householdId to start a new household)")
            out["householdId"] = household
        if data.get("address") is not None:
            out["address"] = {k: (v or "").strip() for k, v in data["address"].items()}
            for k, v in out["address"].items():
                if len(v) > ADDRESS_LIMITS[k]:
                    errors.add(f"input.address.{k}", f"最多{ADDRESS_LIMITS[k]}字 (at most {ADDRESS_LIMITS[k]} characters)")
        if data.get("registered") is not None:
            out["registered"] = bool(data["registered"])
        if data.get("grid_id") is not None:
            grid = await self.ctx.loaders.by_id("grids").load(data["grid_id"])
            if grid is None or grid["communityId"] != community_id:
                errors.add("input.gridId", "网格不属于该社区 (grid is not in this community)")
            out["gridId"] = data["grid_id"]
        errors.raise_if_any()
        return out

    async def create(self, data: dict[str, Any]) -> dict[str, Any]:
        pr = self.scope.require_role(*WRITE_ROLES)
        community_id = data.get("community_id") or self.scope.community_id or pr.community_id
        community = await self.ctx.loaders.by_id("regions").load(community_id) if community_id else None
        if community is None or community.get("level") != "community":
            raise BadUserInput({"input.communityId": "请指定社区 (give an existing communityId)"})
        if not self.scope.covers_community(community):  # out of scope reads as absent
            raise BadUserInput({"input.communityId": "请指定社区 (give an existing communityId)"})
        values = await self._validate(data, community_id, creating=True)
        if pr.role == "grid_worker" and values.get("gridId") not in pr.grid_ids:
            raise Forbidden("网格员只能登记本网格居民 (grid workers register residents of their own grids)")
        now = datetime.now(UTC)
        doc = {
            "_id": new_id(), "communityId": community_id, "regionPath": [*community["path"], community_id],
            "tags": [], "registered": True, "relation": "self", "createdAt": now, "updatedAt": now, "version": 1,
            **values,
        }
        doc.setdefault("householdId", doc["_id"])
        sealed = self.p.residents.seal(doc)
        try:  # the resident and its ID number's platform-wide claim, together
            sealed = await in_transaction(self.p.client, lambda session: self.p.residents.insert(sealed, session))
        except DuplicateKeyError as exc:
            raise Conflict("该身份证号已登记 (a resident with this ID number already exists)",
                           fields=[{"path": "input.idNumber", "message": "duplicate"}]) from exc
        await audit.record(self.ctx, "create", "resident", sealed, sorted(values))
        await (self.ctx.platform.events or _NoEvents()).emit("resident_created", resident=sealed)
        return sealed

    async def update(self, id: str, data: dict[str, Any]) -> dict[str, Any]:
        self.scope.require_role(*WRITE_ROLES)
        current = await self.p.residents.get(id, self.scope.resident_filter())
        if current is None:  # out of scope or absent: the same answer (no existence oracle)
            raise NotFound("resident")
        values = await self._validate(data, current["communityId"], creating=False)
        if not values:
            return current
        values["updatedAt"] = datetime.now(UTC)
        expected = data.get("version")
        f = self.scope.resident_filter()
        if expected is not None:
            f = {**f, "version": expected}
        changes = self.p.residents.seal(values)
        try:
            if "idNumberHash" in changes:  # the claim moves with the number, in one transaction
                doc = await in_transaction(self.p.client, lambda session: self.p.residents.update(id, f, changes,
                                                                                                  session=session))
            else:
                doc = await self.p.residents.update(id, f, changes)
        except DuplicateKeyError as exc:
            raise Conflict("该身份证号已登记 (a resident with this ID number already exists)") from exc
        if doc is None:
            raise Conflict("记录已被他人修改，请刷新后重试 (the record changed meanwhile: reload and retry)")
        await audit.record(self.ctx, "update", "resident", doc, sorted(k for k in values if k != "updatedAt"))
        await (self.ctx.platform.events or _NoEvents()).emit("resident_updated", resident=doc)
        return doc


class _NoEvents:
    async def emit(self, name: str, **kwargs: Any) -> None:
        return None
