"""GraphQL API of staff invitations: admins issue and revoke them, a WeChat user redeems one."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import strawberry

from community_plus_sdk.relay import DEFAULT_FIRST, Connection, connection
from community_plus.platform.context import Ctx
from community_plus.graphql.domains.types import AuthPayload, payload
from community_plus.domains.staff_invitations.service import StaffInvitationService, state_of


@strawberry.enum
class StaffInvitationState(enum.Enum):
    PENDING = "pending"
    REDEEMED = "redeemed"
    REVOKED = "revoked"
    EXPIRED = "expired"


@strawberry.type(description="An invitation for a module provider's staff member to join a community.")
class StaffInvitation:
    id: strawberry.ID
    community_id: strawberry.ID
    module: str
    role: str = strawberry.field(description="The module's staff role, e.g. care_worker, canteen_staff.")
    name: str = strawberry.field(description="Who was invited.")
    state: StaffInvitationState
    expires_at: datetime
    created_at: datetime
    redeemed_at: datetime | None

    @classmethod
    def of(cls, d: dict[str, Any]) -> StaffInvitation:
        return cls(id=d["_id"], community_id=d["communityId"], module=d["module"], role=d["role"], name=d["name"],
                   state=StaffInvitationState(state_of(d)), expires_at=d["expiresAt"], created_at=d["createdAt"],
                   redeemed_at=d.get("redeemedAt"))


@strawberry.type
class StaffInvitationCreated:
    invitation: StaffInvitation
    code: str = strawberry.field(description="The one-time code, shown only now: hand it to the invitee.")


@strawberry.input
class CreateStaffInvitationInput:
    module: str
    role: str
    name: str
    community_id: strawberry.ID | None = None
    expires_in_days: int | None = strawberry.field(default=None, description="1 to 30; 7 by default.")


@strawberry.type
class StaffInvitationsQuery:
    @strawberry.field(description="Staff invitations of the viewer's communities, newest first (admins).")
    async def staff_invitations(self, info: Ctx, first: int = DEFAULT_FIRST,
                                after: str | None = None) -> Connection[StaffInvitation]:
        return connection(await StaffInvitationService(info.context).list(first, after), StaffInvitation.of)


@strawberry.type
class StaffInvitationsMutation:
    @strawberry.mutation(description="Invite a module provider's staff member (care worker, canteen staff).")
    async def create_staff_invitation(self, info: Ctx, input: CreateStaffInvitationInput) -> StaffInvitationCreated:
        doc, code = await StaffInvitationService(info.context).create(
            {"module": input.module, "role": input.role, "name": input.name, "community_id": input.community_id,
             "expires_in_days": input.expires_in_days})
        return StaffInvitationCreated(invitation=StaffInvitation.of(doc), code=code)

    @strawberry.mutation
    async def revoke_staff_invitation(self, info: Ctx, id: strawberry.ID) -> StaffInvitation:
        return StaffInvitation.of(await StaffInvitationService(info.context).revoke(id))

    @strawberry.mutation(description="Join the inviting community as a module's staff member (WeChat accounts); "
                                     "returns fresh tokens carrying the community.")
    async def redeem_staff_invitation(self, info: Ctx, code: str) -> AuthPayload:
        return payload(await StaffInvitationService(info.context).redeem(code))
