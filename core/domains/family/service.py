"""Family guardianships: community staff record that a resident looks after a family member
(e.g. an adult child and an elderly parent); the guardian then sees them in `myFamily`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pymongo.errors import DuplicateKeyError

from community_plus.platform.context import RequestContext
from community_plus.platform.errors import Conflict, FieldErrors, Forbidden, NotFound
from community_plus.platform.repository import new_id
from community_plus.domains.audit import service as audit
from community_plus.domains.family.repository import guardianships

MANAGERS = ("platform_admin", "region_admin", "community_admin")
# The ward's relation to the guardian.
RELATIONS = ("parent", "grandparent", "spouse", "child", "grandchild", "sibling", "relative", "other")


class FamilyService:
    def __init__(self, ctx: RequestContext) -> None:
        self.ctx = ctx
        self.p = ctx.platform
        self.scope = ctx.scope

    async def add(self, guardian_id: str, ward_id: str, relation: str | None) -> dict[str, Any]:
        """Record that `guardian_id` looks after `ward_id` (both within the caller's scope)."""
        principal = self.scope.require_role(*MANAGERS)
        errors = FieldErrors()
        if guardian_id == ward_id:
            errors.add("wardResidentId", "不能监护自己 (a resident cannot be their own ward)")
        if relation is not None and relation not in RELATIONS:
            errors.add("relation", f"未知的关系 (use one of {', '.join(RELATIONS)})")
        errors.raise_if_any()
        f = self.scope.resident_filter()
        guardian = await self.p.residents.get(guardian_id, f)
        ward = await self.p.residents.get(ward_id, f)
        if guardian is None:
            errors.add("guardianResidentId", "居民不存在或不在您的管辖范围 (no such resident in your scope)")
        if ward is None:
            errors.add("wardResidentId", "居民不存在或不在您的管辖范围 (no such resident in your scope)")
        errors.raise_if_any()
        assert guardian is not None and ward is not None
        doc = {"_id": new_id(), "guardianResidentId": guardian_id, "wardResidentId": ward_id, "relation": relation,
               "communityId": ward["communityId"], "regionPath": ward.get("regionPath", []),
               "createdAt": datetime.now(UTC), "createdBy": principal.user_id}
        try:
            await (await guardianships(self.p)).insert(doc)
        except DuplicateKeyError as exc:
            raise Conflict("该监护关系已存在 (this guardianship already exists)") from exc
        await audit.record(self.ctx, "guardianship_add", "resident", ward, [], guardianResidentId=guardian_id)
        return doc

    async def remove(self, guardianship_id: str) -> bool:
        self.scope.require_role(*MANAGERS)
        doc = await (await guardianships(self.p)).get(guardianship_id, self.scope.community_filter())
        if doc is None:
            raise NotFound("guardianship")
        await (await guardianships(self.p)).delete(guardianship_id, self.scope.community_filter())
        ward = await self.p.residents.get(doc["wardResidentId"]) or {"_id": doc["wardResidentId"],
                                                                     "communityId": doc["communityId"]}
        await audit.record(self.ctx, "guardianship_remove", "resident", ward, [],
                           guardianResidentId=doc["guardianResidentId"])
        return True

    async def my_wards(self) -> list[dict[str, Any]]:
        """Guardianships where the caller's own resident record is the guardian."""
        principal = self.scope.require()
        if not principal.resident_id:
            raise Forbidden("请先绑定居民档案 (bind your resident record first: bindPhone)", reason="BINDING_REQUIRED")
        return await (await guardianships(self.p)).wards_of(principal.resident_id)

