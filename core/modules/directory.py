"""The server side of the SDK's `CommunityDirectory` (`community_plus_sdk.directory`): counts
of a community's residents for modules (participation rates) and staff invitations a module
issues for its providers (`ctx.invite_staff`, backed by `domains/staff_invitations`)."""

from __future__ import annotations

from typing import Any

from community_plus_sdk.directory import ResidentDirectory, StaffInvitationCode

from community_plus.platform.errors import Forbidden
from community_plus.domains.staff_invitations.service import StaffInvitationService


class ServerResidentDirectory(ResidentDirectory):
    def __init__(self, ctx: Any) -> None:
        self.ctx = ctx

    async def count(self, *, household_heads: bool = False, grid_id: str | None = None) -> int:
        return await self.ctx.platform.residents.count_of_community(
            self.ctx._community(), household_heads=household_heads, grid_id=grid_id)

    async def count_by_grid(self, *, household_heads: bool = False) -> dict[str | None, int]:
        return await self.ctx.platform.residents.count_per_grid_of_community(
            self.ctx._community(), household_heads=household_heads)


async def invite_staff(ctx: Any, role: str, name: str, expires_in_days: int, path: str) -> StaffInvitationCode:
    """An invitation of the module's community for `ctx.module`, issued by the calling user."""

    ctx.require_caller()
    if ctx.request_ctx is None:
        raise Forbidden("staff invitations are issued while handling a request")
    request = ctx.request_ctx
    community = await request.loaders.by_id("regions").load(ctx._community())
    if community is None or community.get("level") != "community":
        raise Forbidden("staff invitations need a community")
    doc, code = await StaffInvitationService(request).issue(community, ctx.module, role, name, expires_in_days,
                                                            prefix=path, issued_by_module=True)
    return StaffInvitationCode(id=doc["_id"], code=code, role=doc["role"], name=doc["name"],
                               expires_at=doc["expiresAt"])
