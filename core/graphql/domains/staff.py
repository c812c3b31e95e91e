"""GraphQL for staff management: `staffMembers` (a connection) and the account mutations."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import strawberry

from community_plus_sdk.relay import DEFAULT_FIRST, Connection, connection
from community_plus.platform.context import Ctx
from community_plus.graphql.domains.types import Community, Role
from community_plus.domains.staff.service import StaffService, TotpService
from community_plus.platform.errors import BadUserInput


@strawberry.type(description="A staff account (never its password hash or TOTP secret).")
class StaffMember:
    id: strawberry.ID
    username: str
    display_name: str
    role: Role
    region_id: strawberry.ID | None
    community_id: strawberry.ID | None
    grid_ids: list[strawberry.ID]
    disabled: bool
    locked_until: datetime | None = strawberry.field(description="Set while locked after wrong passwords.")
    totp_enabled: bool = strawberry.field(description="Whether login asks for an authenticator code.")
    created_at: datetime | None
    department_id: strawberry.ID | None = strawberry.field(default=None, description="DEPARTMENT_STAFF: their department.")

    @classmethod
    def of(cls, d: dict[str, Any]) -> StaffMember:
        until = d.get("lockedUntil")
        if until is not None and until.tzinfo is None:
            until = until.replace(tzinfo=UTC)
        return cls(id=d["_id"], username=d.get("username", ""), display_name=d.get("displayName") or "",
                   role=Role(d["role"]), region_id=d.get("regionId"), community_id=d.get("communityId"),
                   grid_ids=list(d.get("gridIds") or []), disabled=bool(d.get("disabled")),
                   locked_until=until if until and until > datetime.now(UTC) else None,
                   totp_enabled=bool(d.get("totpEnabled")), created_at=d.get("createdAt"),
                   department_id=d.get("departmentId"))

    @strawberry.field
    async def community(self, info: Ctx) -> Community | None:
        if not self.community_id:
            return None
        d = await info.context.loaders.by_id("regions").load(self.community_id)
        return Community.of(d) if d else None


@strawberry.input
class CreateStaffInput:
    username: str
    password: str = strawberry.field(description="Initial password (≥ 8 characters).")
    role: Role
    display_name: str | None = None
    region_id: strawberry.ID | None = strawberry.field(default=None, description="For REGION_ADMIN, HOTLINE_OPERATOR.")
    community_id: strawberry.ID | None = strawberry.field(default=None, description="For COMMUNITY_ADMIN, GRID_WORKER.")
    grid_ids: list[strawberry.ID] | None = strawberry.field(default=None, description="For GRID_WORKER.")
    phone: str | None = None
    department_id: strawberry.ID | None = strawberry.field(
        default=None, description="For DEPARTMENT_STAFF: the functional department (its region is the scope).")


@strawberry.input
class StaffRoleInput:
    role: Role
    region_id: strawberry.ID | None = strawberry.field(default=None, description="For REGION_ADMIN, HOTLINE_OPERATOR.")
    community_id: strawberry.ID | None = None
    grid_ids: list[strawberry.ID] | None = None
    department_id: strawberry.ID | None = strawberry.field(default=None, description="For DEPARTMENT_STAFF.")


@strawberry.type(description="A one-time password-reset code: hand it to the staff member; shown once.")
class PasswordReset:
    code: str
    expires_at: datetime


@strawberry.type(description="TOTP enrolment: show `provisioningUri` as a QR code, then confirm with a code.")
class TotpEnrolment:
    secret: str = strawberry.field(description="Base32 secret, for typing in by hand.")
    provisioning_uri: str = strawberry.field(description="otpauth:// URI for authenticator apps (QR code data).")


@strawberry.type
class StaffQuery:
    @strawberry.field(description="Staff accounts in the caller's scope (admins).")
    async def staff_members(self, info: Ctx, first: int = DEFAULT_FIRST,
                            after: str | None = None) -> Connection[StaffMember]:
        return connection(await StaffService(info.context).list(first, after), StaffMember.of)


@strawberry.type
class StaffMutation:
    @strawberry.mutation(description="Create a staff account below your role, inside your scope.")
    async def create_staff(self, info: Ctx, input: CreateStaffInput) -> StaffMember:
        if input.role == Role.RESIDENT:
            raise BadUserInput({"input.role": "居民账号不能在此创建 (residents are not staff)"})
        return StaffMember.of(await StaffService(info.context).create(
            username=input.username, password=input.password, role=input.role.value,
            display_name=input.display_name or "", region_id=input.region_id, community_id=input.community_id,
            grid_ids=[str(g) for g in input.grid_ids or []], phone=input.phone,
            department_id=input.department_id))

    @strawberry.mutation(description="Disable (sessions end at once) or re-enable a staff account.")
    async def set_staff_disabled(self, info: Ctx, id: strawberry.ID, disabled: bool) -> StaffMember:
        return StaffMember.of(await StaffService(info.context).set_disabled(id, disabled))

    @strawberry.mutation(description="Change a staff account's role and scope (sessions end: log in again).")
    async def update_staff_role(self, info: Ctx, id: strawberry.ID, input: StaffRoleInput) -> StaffMember:
        if input.role == Role.RESIDENT:
            raise BadUserInput({"input.role": "居民不是工作人员角色 (residents are not staff)"})
        return StaffMember.of(await StaffService(info.context).update_role(
            id, role=input.role.value, region_id=input.region_id, community_id=input.community_id,
            grid_ids=[str(g) for g in input.grid_ids or []], department_id=input.department_id))

    @strawberry.mutation(description="Issue a one-time password-reset code (24 h, single use; earlier codes void).")
    async def reset_staff_password(self, info: Ctx, id: strawberry.ID) -> PasswordReset:
        code, expires = await StaffService(info.context).issue_reset(id)
        return PasswordReset(code=code, expires_at=expires)

    @strawberry.mutation(description="Set a new password with a reset code (no login needed); ends all sessions.")
    async def redeem_password_reset(self, info: Ctx, code: str, new_password: str) -> bool:
        return await StaffService(info.context).redeem_reset(code, new_password)

    @strawberry.mutation(description="Change your own password (other sessions end).")
    async def change_my_password(self, info: Ctx, old_password: str, new_password: str) -> bool:
        return await StaffService(info.context).change_own_password(old_password, new_password)

    @strawberry.mutation(description="Lift a login lockout after wrong passwords.")
    async def unlock_staff(self, info: Ctx, id: strawberry.ID) -> StaffMember:
        return StaffMember.of(await StaffService(info.context).unlock(id))

    @strawberry.mutation(description="Remove a staff account's TOTP second factor (a lost phone); its sessions end.")
    async def reset_staff_totp(self, info: Ctx, id: strawberry.ID) -> StaffMember:
        return StaffMember.of(await StaffService(info.context).reset_totp(id))

    @strawberry.mutation(description="Start enrolling your authenticator app (admins); confirm with confirmTotp.")
    async def start_totp_enrolment(self, info: Ctx) -> TotpEnrolment:
        secret, uri = await TotpService(info.context).start()
        return TotpEnrolment(secret=secret, provisioning_uri=uri)

    @strawberry.mutation(description="Confirm TOTP enrolment with a current code; from then on login asks for one.")
    async def confirm_totp(self, info: Ctx, code: str) -> bool:
        return await TotpService(info.context).confirm(code)
