"""Elder profiles (老人档案): staff enrol an elderly resident with their home location (the
check-in reference point), care notes and family guardians. The resident's name, birth
date, tags and grid are copied from the core record (refreshed on `resident_updated`), so
subsidy rules and guardians' requests never need to read the resident again."""

from __future__ import annotations

from typing import Any

from community_plus_sdk import ConflictError, ForbiddenError, ModuleContext, NotFoundError, UserInputError
from community_plus_sdk.relay import Page, paginate

from .access import Actor
from .checks import Problems
from .manifest import MANAGE_ELDERS, READ_ALL

MAX_GUARDIANS = 5
OUT_OF_SCOPE = "居民不存在或不在您的管辖范围 (no such resident in your scope)"


def snapshot(resident: dict[str, Any]) -> dict[str, Any]:
    """What the module keeps of the core resident record."""
    return {"name": resident.get("name"), "gender": resident.get("gender"), "birthDate": resident.get("birthDate"),
            "tags": list(resident.get("tags") or []), "gridId": resident.get("gridId")}


class ElderService:
    def __init__(self, ctx: ModuleContext) -> None:
        self.ctx = ctx
        self.actor = Actor(ctx)
        self.coll = ctx.collection("elders")

    async def save(self, data: dict[str, Any]) -> dict[str, Any]:
        """Enrol an elder or update their profile (`version` guards concurrent edits)."""
        self.ctx.require_permission(MANAGE_ELDERS)
        p = Problems()
        rid = p.identifier("input.residentId", data.get("resident_id"))
        address = p.text("input.homeAddress", data.get("home_address"), max_length=200, required=True)
        p.coordinates("input", data.get("longitude"), data.get("latitude"))
        phone = p.phone("input.contactPhone", data.get("contact_phone"))
        notes = p.text("input.careNotes", data.get("care_notes"), max_length=500)
        guardians = list(dict.fromkeys(data.get("guardian_resident_ids") or []))
        if len(guardians) > MAX_GUARDIANS:
            p.add("input.guardianResidentIds", f"最多{MAX_GUARDIANS}位监护人 (at most {MAX_GUARDIANS} guardians)")
        p.raise_if_any()
        resident = await self.ctx.resident(rid)
        if resident is None:
            raise UserInputError({"input.residentId": OUT_OF_SCOPE})
        for i, gid in enumerate(guardians):
            if gid == rid:
                p.add(f"input.guardianResidentIds.{i}", "老人本人不能作为监护人 (the elder cannot be their own guardian)")
            elif await self.ctx.resident(gid) is None:
                p.add(f"input.guardianResidentIds.{i}", OUT_OF_SCOPE)
        p.raise_if_any()
        values = {**snapshot(resident), "homeAddress": address, "longitude": float(data["longitude"]),
                  "latitude": float(data["latitude"]), "contactPhone": phone, "careNotes": notes,
                  "guardianResidentIds": guardians,
                  "active": True if data.get("active") is None else bool(data["active"])}
        existing = await self.coll.find_one({"_id": rid})
        if existing is None:
            doc = await self.coll.insert({"_id": rid, "residentId": rid, **values,
                                          "createdBy": self.actor.caller.user_id})
            action = "enrol"
        else:
            expect = {"version": data["version"]} if data.get("version") is not None else None
            doc = await self.coll.update({"_id": rid}, values, expect=expect)
            if doc is None:
                raise ConflictError("档案已被他人修改，请刷新后重试 (the profile changed meanwhile: reload and retry)")
            action = "update"
        await self.ctx.audit(action, "ElderProfile", doc, sorted(values))
        return doc

    async def get(self, elder_id: str) -> dict[str, Any]:
        doc = await self.coll.find_one({"_id": elder_id})
        if doc is None or not await self.actor.can_view_elder(doc):
            raise NotFoundError("老人档案不存在 (no such elder profile)")
        return doc

    async def reveal_contact_phone(self, elder_id: str) -> str | None:
        """The full contact number (audited), for whoever may see the profile."""
        await self.get(elder_id)
        return await self.ctx.reveal("elders", elder_id, "contactPhone", entity="ElderProfile")

    async def list(self, grid_id: str | None, active: bool | None, first: int, after: str | None) -> Page:
        """Staff: enrolled elders (grid workers: of their grids)."""
        if not (self.ctx.has_permission(MANAGE_ELDERS) or self.ctx.has_permission(READ_ALL)):
            raise ForbiddenError("只有社区工作人员可以查看老人档案 (staff only)")
        query: dict[str, Any] = {}
        if self.actor.grid_limited():
            if grid_id is not None and not self.actor.in_my_grids(grid_id):
                return Page([], False, 0)
            query["gridId"] = grid_id or {"$in": list(self.actor.caller.grid_ids)}
        elif grid_id is not None:
            query["gridId"] = grid_id
        if active is not None:
            query["active"] = active
        return await paginate(self.coll, query, first, after)

    async def mine(self) -> list[dict[str, Any]]:
        """The calling resident's own profile and those of the family they look after."""
        return await self.actor.family_elders()


async def refresh_from_resident(ctx: ModuleContext, resident: dict[str, Any]) -> None:
    """Keep an elder profile's copy of the core resident record current (`on_event`)."""
    if resident.get("_id") and await ctx.collection("elders").find_one({"_id": resident["_id"]}) is not None:
        await ctx.collection("elders").update({"_id": resident["_id"]}, snapshot(resident))
