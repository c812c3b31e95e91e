"""A guardian acting for a ward: the ward's record (PII masked) and the service items the ward
is eligible for. `myFamily` lists the wards; `resident(id: ward)` and
`serviceItems(filter: {eligibleOnly: true, residentId: ward})` answer for them too.

Every read of a ward's record by a guardian is audited (`guardian_read`), like any read of a
resident's personal data by someone other than themselves. Reveals stay refused: a guardian
sees the masked phone and ID number only (`ResidentService.reveal`).
"""

from __future__ import annotations

from typing import Any

from community_plus.platform.context import RequestContext
from community_plus.domains.audit import service as audit
from community_plus.domains.family.repository import guardianships


async def ward_of_caller(ctx: RequestContext, resident_id: str | None) -> dict[str, Any] | None:
    """The record of `resident_id` when the calling resident is its guardian, else None.

    The caller's own record, staff callers and residents who are not the guardian get None:
    they go through the ordinary scope checks (a stranger's id stays NOT_FOUND)."""
    pr = ctx.scope.principal
    if pr is None or pr.role != "resident" or not pr.resident_id or not resident_id or resident_id == pr.resident_id:
        return None
    link = await (await guardianships(ctx.platform)).link(pr.resident_id, resident_id)
    if link is None:
        return None
    ward = await ctx.loaders.by_id("residents").load(resident_id)
    if ward is not None:
        await audit.record(ctx, "guardian_read", "resident", ward, [], guardianResidentId=pr.resident_id,
                           guardianshipId=link["_id"])
    return ward


def items_visible_to(ward: dict[str, Any], community: dict[str, Any]) -> dict[str, Any]:
    """Service items of the ward's community plus those its ancestors published for the subtree."""
    return {"$or": [{"communityId": ward["communityId"]}, {"regionId": {"$in": community.get("path", [])}}]}
