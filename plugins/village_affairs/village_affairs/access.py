"""Who may see village affairs: the community's staff and its registered residents only."""

from __future__ import annotations

from community_plus_sdk import Caller, ForbiddenError, ModuleContext

STAFF = ("platform_admin", "region_admin", "community_admin", "grid_worker")


def member(ctx: ModuleContext) -> Caller:
    """The caller if they belong to the community (staff, or a resident bound to a record)."""
    caller = ctx.require_caller()
    if caller.role not in STAFF and not caller.resident_id:
        raise ForbiddenError("村务仅向本社区登记居民公开 (visible to the community's registered residents only)",
                             reason="NOT_A_RESIDENT")
    return caller


def is_staff(caller: Caller) -> bool:
    return caller.role in STAFF
