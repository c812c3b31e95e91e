"""Principals (who is calling) and scopes (which communities and grids they may see).

Every repository query is narrowed by `Scope.filter_for(...)`: a grid worker sees only the
residents of their grids, a community admin their community, a region admin the communities
whose region path contains their region, a platform admin everything.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from community_plus.platform.errors import Forbidden, Unauthenticated

STAFF_ROLES = ("platform_admin", "region_admin", "community_admin", "grid_worker", "hotline_operator",
               "department_staff")
# roles scoped to a region subtree (the communities whose path contains their region)
REGION_ROLES = ("region_admin", "hotline_operator")
ROLES = (*STAFF_ROLES, "resident")


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller, read from a verified access token."""

    user_id: str
    role: str
    display_name: str = ""
    region_id: str | None = None
    community_id: str | None = None
    grid_ids: tuple[str, ...] = ()
    resident_id: str | None = None
    session_id: str | None = None
    department_id: str | None = None  # department_staff: the functional department (职能部门)

    @classmethod
    def from_claims(cls, claims: dict[str, Any]) -> Principal:
        return cls(
            user_id=claims["sub"],
            role=claims["role"],
            display_name=claims.get("name", ""),
            region_id=claims.get("region"),
            community_id=claims.get("community"),
            grid_ids=tuple(claims.get("grids", ())),
            resident_id=claims.get("resident"),
            session_id=claims.get("sid"),
            department_id=claims.get("dept"),
        )

    def claims(self) -> dict[str, Any]:
        c: dict[str, Any] = {"sub": self.user_id, "role": self.role, "name": self.display_name}
        if self.region_id:
            c["region"] = self.region_id
        if self.community_id:
            c["community"] = self.community_id
        if self.grid_ids:
            c["grids"] = list(self.grid_ids)
        if self.resident_id:
            c["resident"] = self.resident_id
        if self.session_id:
            c["sid"] = self.session_id
        if self.department_id:
            c["dept"] = self.department_id
        return c


@dataclass(slots=True)
class Scope:
    """What one request may see: the principal plus the community it acts in."""

    principal: Principal | None
    community_id: str | None = None  # the community this request acts in, if any
    auth_error: Exception | None = None  # why a presented token was refused, if it was

    def require(self) -> Principal:
        if self.principal is None:
            raise self.auth_error or Unauthenticated()
        return self.principal

    def require_role(self, *roles: str) -> Principal:
        p = self.require()
        if p.role not in roles:
            raise Forbidden()
        return p

    @property
    def role(self) -> str | None:
        return self.principal.role if self.principal else None

    def covers_community(self, community: dict[str, Any]) -> bool:
        """Whether the principal's scope includes this community (a region document)."""
        p = self.principal
        if p is None:
            return False
        if p.role == "platform_admin":
            return True
        if p.role in REGION_ROLES:
            return p.region_id in community.get("path", ()) or community["_id"] == p.region_id
        if p.role == "department_staff":
            return False  # departments see the orders handed to them, not communities
        return community["_id"] == p.community_id

    def community_filter(self) -> dict[str, Any]:
        """Filter for documents carrying `communityId` and `regionPath`."""
        p = self.require()
        if self.community_id:
            return {"communityId": self.community_id}
        if p.role == "platform_admin":
            return {}
        if p.role in REGION_ROLES:
            return {"regionPath": p.region_id}
        if p.role == "department_staff":
            return {"communityId": "\x00none"}  # see WorkOrderService.visible_filter
        return {"communityId": p.community_id}

    def resident_filter(self) -> dict[str, Any]:
        """Filter for resident documents: grid workers see their grids only."""
        p = self.require()
        f = self.community_filter()
        if p.role == "grid_worker":
            f["gridId"] = {"$in": list(p.grid_ids)}
        elif p.role == "resident":
            f["_id"] = p.resident_id or "\x00none"
        return f

    def grid_filter(self) -> dict[str, Any]:
        p = self.require()
        f = self.community_filter()
        if p.role == "grid_worker":
            f["_id"] = {"$in": list(p.grid_ids)}
        return f

