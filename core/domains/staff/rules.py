"""Who may manage whom. Roles rank platform_admin > region_admin > community_admin >
grid_worker, hotline_operator, department_staff (the front-line roles, equal). A hotline
operator is attached to a region, a department's staff to the department's region: so a street
admin manages its street's operators and departments, a community admin only its grid workers.
An editor manages (creates, disables, resets, re-roles) only accounts whose role
ranks strictly below its own and whose region or community lies inside its own scope (a
street admin: the communities of its street and the regions below it, never the street itself
or above); platform admins manage everyone but themselves. Nobody can grant a role at or above
their own, so no one can widen their own power or a peer's."""

from __future__ import annotations

from typing import Any

from community_plus.platform.access import Principal
from community_plus.platform.errors import Forbidden

RANK = {"grid_worker": 1, "hotline_operator": 1, "department_staff": 1, "community_admin": 2, "region_admin": 3,
        "platform_admin": 4}
COMMUNITY_ROLES = ("community_admin", "grid_worker")  # attached to a community; the others to a region


def place_of(account: dict[str, Any]) -> str | None:
    """The region id an account is attached to (its community, or its region)."""
    return account.get("communityId") or account.get("regionId")


def may_manage(editor: Principal, role: str, place: dict[str, Any] | None) -> bool:
    """Whether `editor` may hold an account of `role` attached to region document `place`."""
    if editor.role == "platform_admin":
        return True
    if RANK.get(role, 99) >= RANK.get(editor.role, 0):
        return False
    if place is None:
        return False
    if editor.role == "region_admin":
        return editor.region_id in place.get("path", ())
    if editor.role == "community_admin":
        return place["_id"] == editor.community_id
    return False


def require_manage(editor: Principal, role: str, place: dict[str, Any] | None) -> None:
    if not may_manage(editor, role, place):
        raise Forbidden("只能管理您管辖范围内、角色低于您的工作人员 (you can only manage staff below your role, "
                        "inside your scope)")
