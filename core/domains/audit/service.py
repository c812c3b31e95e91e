"""Audit entries: who read or changed which fields of whose record, and when — written by
every service, read back by admins within their scope."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from community_plus.platform.context import RequestContext
from community_plus.platform.errors import BadUserInput
from community_plus.platform.repository import Page, new_id

READERS = ("platform_admin", "region_admin", "community_admin")


async def record(ctx: RequestContext, action: str, entity: str, doc: dict[str, Any],
                 fields: list[str] | None = None, session=None, **details: Any) -> None:
    """Append one audit entry about `doc` (a resident, a work order…) for this request."""
    await ctx.platform.audit.append(entry(ctx, action, entity, doc, fields, **details), session=session)


def entry(ctx: RequestContext, action: str, entity: str, doc: dict[str, Any],
          fields: list[str] | None = None, **details: Any) -> dict[str, Any]:
    """The audit entry `record` appends (bulk writers append many with `audit.append_many`)."""
    p = ctx.scope.principal
    return {
        "_id": new_id(),
        "at": datetime.now(UTC),
        "action": action,
        "entity": entity,
        "entityId": doc["_id"],
        "communityId": doc.get("communityId"),
        "regionPath": doc.get("regionPath", []),
        "fields": fields or [],
        "actorId": p.user_id if p else None,
        "actorRole": p.role if p else None,
        "actorName": p.display_name if p else None,
        "requestId": ctx.request_id,
        **({"details": details} if details else {}),
    }


async def trail(ctx: RequestContext, first: int, after: str | None, *, entity_id: str | None = None,
                action: str | None = None, actor_id: str | None = None, since: datetime | None = None,
                until: datetime | None = None) -> Page:
    """The entries the caller may read, newest first: community admins (and anyone choosing a
    community) their community's, region admins their subtree's, platform admins everything."""
    scope = ctx.scope
    p = scope.require_role(*READERS)
    if since and until and since >= until:
        raise BadUserInput({"filter.since": "开始时间应早于结束时间 (since must be before until)"})
    audit = ctx.platform.audit
    conditions = {"entity_id": entity_id, "action": action, "actor_id": actor_id, "since": since, "until": until}
    if scope.community_id:
        return await audit.newest(first, after, community_id=scope.community_id, **conditions)
    if p.role == "platform_admin":
        return await audit.newest(first, after, platform_wide=True, **conditions)
    if p.role == "region_admin":
        region = (p.region_id, await ctx.platform.regions.community_ids_under(p.region_id))
        return await audit.newest(first, after, region=region, **conditions)
    return await audit.newest(first, after, community_id=p.community_id, **conditions)
