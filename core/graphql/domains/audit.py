"""`auditEntries`: the audit trail, read-only, for admins within their scope.

Community admins see their community's entries, region admins their subtree's (or one
community's, chosen with `X-Community-Id`), platform admins everything. There is no mutation:
the trail is append-only (see `domains/audit/repository.py`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from strawberry.scalars import JSON

from community_plus.platform.errors import BadUserInput
from community_plus_sdk.relay import DEFAULT_FIRST, Connection, connection
from community_plus.platform.context import Ctx
from community_plus.graphql.domains.types import ActorRole

AUDIT_READERS = ("platform_admin", "region_admin", "community_admin")


@strawberry.type(description="One audit entry: who read or changed which fields of which record, and when.")
class AuditEntry:
    id: strawberry.ID
    at: datetime
    action: str = strawberry.field(description="create, update, reveal, accept, set_module_enabled…")
    entity: str = strawberry.field(description="Kind of record: resident, work_order, module, <module>.<model>…")
    entity_id: strawberry.ID
    community_id: strawberry.ID | None
    region_path: list[strawberry.ID]
    fields: list[str] = strawberry.field(description="Names of the fields read or changed (never their values).")
    actor_id: strawberry.ID | None
    actor_role: ActorRole | None = strawberry.field(description="The actor's role, spelled as the enum.")
    actor_name: str | None
    request_id: str | None
    details: JSON | None = strawberry.field(description="Action-specific details (e.g. the new state).")

    @classmethod
    def of(cls, d: dict[str, Any]) -> AuditEntry:
        return cls(id=d["_id"], at=d["at"], action=d["action"], entity=d.get("entity", ""),
                   entity_id=str(d.get("entityId", "")), community_id=d.get("communityId"),
                   region_path=list(d.get("regionPath") or []), fields=list(d.get("fields") or []),
                   actor_id=d.get("actorId"), actor_role=ActorRole(d["actorRole"]) if d.get("actorRole") else None, actor_name=d.get("actorName"),
                   request_id=d.get("requestId"), details=d.get("details"))


@strawberry.input(description="Audit entries matching all given conditions.")
class AuditFilter:
    entity_id: strawberry.ID | None = None
    action: str | None = None
    actor_id: strawberry.ID | None = None
    since: datetime | None = strawberry.field(default=None, description="Entries at or after this time.")
    until: datetime | None = strawberry.field(default=None, description="Entries before this time.")


async def _scope_filter(info: Ctx) -> dict[str, Any]:
    """What the caller may read: its community, its region subtree, or everything."""
    scope = info.context.scope
    p = scope.require_role(*AUDIT_READERS)
    if scope.community_id:
        return {"communityId": scope.community_id}
    if p.role == "platform_admin":
        return {}
    if p.role == "region_admin":
        # Entries carry regionPath; those written without one (module data) still name their community.
        ids = [d["_id"] async for d in info.context.platform.regions.coll.find(
            {"level": "community", "path": p.region_id}, {"_id": 1})]
        return {"$or": [{"regionPath": p.region_id}, {"communityId": {"$in": ids}}]}
    return {"communityId": p.community_id}


def _conditions(f: AuditFilter | None) -> list[dict[str, Any]]:
    if f is None:
        return []
    out: list[dict[str, Any]] = []
    if f.entity_id:
        out.append({"entityId": str(f.entity_id)})
    if f.action:
        out.append({"action": f.action})
    if f.actor_id:
        out.append({"actorId": str(f.actor_id)})
    if f.since and f.until and f.since >= f.until:
        raise BadUserInput({"filter.since": "开始时间应早于结束时间 (since must be before until)"})
    at: dict[str, Any] = {}
    if f.since:
        at["$gte"] = f.since
    if f.until:
        at["$lt"] = f.until
    if at:
        out.append({"at": at})
    return out


@strawberry.type
class AuditQuery:
    @strawberry.field(description="The audit trail in the caller's scope, newest first (admins; read-only).")
    async def audit_entries(self, info: Ctx, filter: AuditFilter | None = None, first: int = DEFAULT_FIRST,
                            after: str | None = None) -> Connection[AuditEntry]:
        conditions = [await _scope_filter(info), *_conditions(filter)]
        conditions = [c for c in conditions if c]
        query = conditions[0] if len(conditions) == 1 else ({"$and": conditions} if conditions else {})
        page = await info.context.platform.audit.page(query, first, after, newest_first=True)
        return connection(page, AuditEntry.of)
