"""What a module may know about its community beyond its own collections: how many residents
it has (for participation rates), and the invitation of its providers' staff. The server
implements both; modules never read the core's collections.

Example (a participation rate, and a provider inviting a care worker)::

    eligible = await ctx.residents.count(household_heads=True)       # or grid_id="g1"
    rate = voters / eligible if eligible else None

    invitation = await ctx.invite_staff("care_worker", "王护理员", expires_in_days=7)
    return invitation.code   # shown once: the worker redeems it with redeemStaffInvitation
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime


class ResidentDirectory(ABC):
    """Figures about the residents of the current community (counts only: no names, no
    numbers). `ctx.residents` in a request or in a community's system context."""

    @abstractmethod
    async def count(self, *, household_heads: bool = False, grid_id: str | None = None) -> int:
        """The registered residents of the community: all of them, only household heads
        (户主, `relation` self), and/or only those of one grid of the community (an unknown
        grid counts 0)."""

    @abstractmethod
    async def count_by_grid(self, *, household_heads: bool = False) -> dict[str | None, int]:
        """The same count per grid id (`None`: residents without a grid), one query."""


@dataclass(frozen=True)
class StaffInvitationCode:
    """An invitation `ctx.invite_staff` issued: `code` is the one-time code (8 characters,
    shown only now, stored as a keyed hash), valid until `expires_at`."""

    id: str
    code: str
    role: str
    name: str
    expires_at: datetime


class CommunityDirectory:
    """The part of `ModuleContext` that reaches the community's people (residents' figures,
    staff invitations); implemented by the Community+ server."""

    @property
    def residents(self) -> ResidentDirectory:
        """Counts of the community's residents (`await ctx.residents.count(grid_id=...)`)."""
        raise NotImplementedError("residents is provided by the Community+ server")

    async def invite_staff(self, role: str, name: str, *, expires_in_days: int = 7,
                           path: str = "input") -> StaffInvitationCode:
        """Invite a provider's staff member (a care worker, a canteen worker) to join the
        current community for this module with `role` (letters, digits, `_`): the invitee,
        logged in with WeChat, redeems the code with `redeemStaffInvitation(code)` and is then
        a member of the community, like the invitations community admins create in the
        console (listed there, revocable). Check your own permission first — the server only
        requires a caller; it audits the invitation. Bad input is BAD_USER_INPUT at
        `<path>.role`, `<path>.name`, `<path>.expiresInDays` (1–30 days)."""
        raise NotImplementedError("invite_staff is provided by the Community+ server")
