"""Module providers' staff join a community with an invitation code.

A care worker or canteen worker is usually not a resident of the community they serve, so the
resident binding (phone → resident record) cannot place their WeChat account in it, and
without a community the module's fields are MODULE_DISABLED for them. Instead a community
admin issues a one-time invitation for a module and a role (`createStaffInvitation`: the
8-character code is shown once, stored only as a keyed hash, valid 1–30 days); the worker,
logged in with WeChat, redeems it (`redeemStaffInvitation`): their account joins the
community (`communityId`, and `moduleStaff: [{module, role, communityId, invitationId}]`
that modules may read), fresh tokens carry the community, and the module's own binding
(e.g. elder_care's `bindCareWorkerAccount(code)`) then works like for anyone in the community.
Generic: any module name installed on the server can be invited for.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from community_plus.platform.context import RequestContext
from community_plus.platform.errors import BadUserInput, Conflict, FieldErrors, Forbidden, NotFound
from community_plus.platform.repository import Page, new_id
from community_plus.domains.identity.repositories import IdentityRepositories
from community_plus.domains.audit import service as audit
from community_plus.domains.identity.auth import AuthService, Tokens
from community_plus.platform.transactions import in_transaction
from community_plus.domains.staff_invitations.repository import StaffInvitationRepository

ISSUERS = ("platform_admin", "region_admin", "community_admin")
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
CODE_LENGTH = 8
MAX_DAYS = 30
EXTRAS_KEY = "staff_invitations.repository"


def repository(platform) -> StaffInvitationRepository:
    found = platform.parts.get(EXTRAS_KEY)
    if found is None:
        found = platform.parts[EXTRAS_KEY] = StaffInvitationRepository(platform.db)
    return found


def state_of(doc: dict[str, Any], now: datetime | None = None) -> str:
    if doc["state"] == "pending" and doc["expiresAt"] <= (now or datetime.now(UTC)):
        return "expired"
    return doc["state"]


class StaffInvitationService:
    def __init__(self, ctx: RequestContext) -> None:
        self.ctx, self.p, self.scope = ctx, ctx.platform, ctx.scope
        self.repo = repository(self.p)

    def _hashes(self, code: str) -> list[str]:
        return self.p.keyring.blind_indexes(code, "staffInvitation")

    async def create(self, data: dict[str, Any]) -> tuple[dict[str, Any], str]:
        pr = self.scope.require_role(*ISSUERS)
        cid = data.get("community_id") or self.scope.community_id or pr.community_id
        community = await self.ctx.loaders.by_id("regions").load(cid) if cid else None
        if community is None or community.get("level") != "community" or not self.scope.covers_community(community):
            raise BadUserInput({"input.communityId": "请指定您管辖范围内的社区 (give a community in your scope)"})
        return await self.issue(community, data.get("module"), data.get("role"), data.get("name"),
                                data.get("expires_in_days"), prefix="input")

    async def issue(self, community: dict[str, Any], module: str | None, role: str | None, name: str | None,
                    days: int | None, *, prefix: str = "input", issued_by_module: bool = False
                    ) -> tuple[dict[str, Any], str]:
        """Create an invitation of `community` (checked by the caller) and its one-time code.
        `createStaffInvitation` calls it after its role check; a module calls it through
        `ctx.invite_staff` after its own permission check (`issued_by_module`)."""
        pr = self.scope.require()
        errors = FieldErrors()
        registry = self.p.modules
        module = (module or "").strip()
        if registry is None or module not in registry.modules:
            errors.add(f"{prefix}.module", "未安装该模块 (no such module on this server)")
        role = (role or "").strip()
        if not role or len(role) > 40 or not role.replace("_", "").isalnum() or not role.isascii():
            errors.add(f"{prefix}.role", "角色应为1到40个字母、数字或下划线 (1-40 letters, digits or _, e.g. care_worker)")
        name = (name or "").strip()
        if not name or len(name) > 50:
            errors.add(f"{prefix}.name", "请填写受邀人姓名，最多50字 (the invitee's name, 1-50 characters)")
        days = days or 7
        if not 1 <= days <= MAX_DAYS:
            errors.add(f"{prefix}.expiresInDays", f"应在 1 到 {MAX_DAYS} 天之间 (between 1 and {MAX_DAYS} days)")
        errors.raise_if_any()
        code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
        now = datetime.now(UTC)
        doc = {"_id": new_id(), "codeHash": self.p.keyring.blind_index(code, "staffInvitation"),
               "communityId": community["_id"], "regionPath": [*community["path"], community["_id"]],
               "module": module, "role": role, "name": name, "state": "pending",
               "expiresAt": now + timedelta(days=days), "createdBy": pr.user_id, "createdByName": pr.display_name,
               "issuedByModule": issued_by_module, "createdAt": now,
               "redeemedBy": None, "redeemedByName": None, "redeemedAt": None}
        stored = await self.repo.insert(doc)
        if stored["_id"] != doc["_id"]:  # a retry (Idempotency-Key): the first code is not shown again
            raise Conflict("该邀请已创建，邀请码仅显示一次；请撤销后重新创建 (already created: the code is shown once; "
                           "revoke it and create a new one)")
        await audit.record(self.ctx, "staff_invite", "staff_invitation", stored, [], module=module, role=role,
                           issuedByModule=issued_by_module)
        return stored, code

    async def redeem(self, code: str) -> Tokens:
        pr = self.scope.require()
        if pr.role != "resident":
            raise Forbidden("请使用微信登录后兑换邀请码 (redeem with a WeChat account, not a staff account)")
        code = (code or "").strip().upper().replace("-", "").replace(" ", "")
        if len(code) != CODE_LENGTH or any(c not in ALPHABET for c in code):
            raise BadUserInput({"code": "邀请码应为8位字母或数字 (8 letters or digits)"})
        now = datetime.now(UTC)
        invitation = await self.repo.pending(self._hashes(code), now)
        if invitation is None:
            raise BadUserInput({"code": "邀请码无效、已使用或已过期 (unknown, used or expired invitation code)"})
        user = await self.p.users.get(pr.user_id)
        if user is None:
            raise NotFound("account")
        if user.get("communityId") not in (None, invitation["communityId"]):
            raise Conflict("该账号已属于其他社区 (this account belongs to another community)")
        accounts = IdentityRepositories.of(self.p).accounts
        membership = {"module": invitation["module"], "role": invitation["role"],
                      "communityId": invitation["communityId"], "invitationId": invitation["_id"]}

        async def write(session):
            taken = await self.repo.take(self._hashes(code), now, {"redeemedBy": pr.user_id, "redeemedAt": now,
                                                                   "redeemedByName": invitation["name"]},
                                         session=session)
            if taken is None:
                raise BadUserInput({"code": "邀请码无效、已使用或已过期 (unknown, used or expired invitation code)"})
            joined = await accounts.join_as_module_staff(
                pr.user_id, invitation["communityId"], membership, now,
                display_name=None if user.get("residentId") else invitation["name"], session=session)
            if joined is None:
                raise Conflict("该账号已属于其他社区 (this account belongs to another community)")
            return taken, joined

        taken, joined = await in_transaction(self.p.client, write)
        await audit.record(self.ctx, "staff_invite_redeem", "staff_invitation", taken, [], userId=pr.user_id)
        if pr.session_id:  # the old tokens lack the community
            await self.p.sessions.revoke(pr.session_id)
        return await AuthService(self.p).start_session(joined)

    async def revoke(self, id: str) -> dict[str, Any]:
        self.scope.require_role(*ISSUERS)
        doc = await self.repo.revoke(id, self.scope.community_filter())
        if doc is None:
            if await self.repo.get(id, self.scope.community_filter()) is None:
                raise NotFound("staff invitation")
            raise Conflict("该邀请已使用或已撤销 (already redeemed or revoked)")
        await audit.record(self.ctx, "staff_invite_revoke", "staff_invitation", doc, [])
        return doc

    async def list(self, first: int, after: str | None) -> Page:
        self.scope.require_role(*ISSUERS)
        return await self.repo.page_in(self.scope.community_filter(), first, after)
