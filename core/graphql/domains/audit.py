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

from community_plus_sdk.relay import DEFAULT_FIRST, Connection, connection
from community_plus.platform.context import Ctx
from community_plus.graphql.domains.types import ActorRole
from community_plus.domains.audit import service as audit


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


@strawberry.type
class AuditQuery:
    @strawberry.field(description="The audit trail in the caller's scope, newest first (admins; read-only).")
    async def audit_entries(self, info: Ctx, filter: AuditFilter | None = None, first: int = DEFAULT_FIRST,
                            after: str | None = None) -> Connection[AuditEntry]:
        f = filter or AuditFilter()
        page = await audit.trail(info.context, first, after, entity_id=str(f.entity_id) if f.entity_id else None,
                                 action=f.action, actor_id=str(f.actor_id) if f.actor_id else None,
                                 since=f.since, until=f.until)
        return connection(page, AuditEntry.of)
