"""Writes audit entries: who read or changed which fields of whose record, and when."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from community_plus.platform.context import RequestContext
from community_plus.platform.repository import new_id


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
