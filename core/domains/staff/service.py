"""Staff management: list, create, disable/enable, one-time password resets, own password
changes, role and scope edits, unlocking — every change audited, within the editor's scope
(`rules`). Ending an account's power ends its sessions: disabling, re-roling and password
resets revoke its refresh tokens (access tokens stop at the next session check, ≤ 2 s)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from community_plus.platform.access import STAFF_ROLES
from community_plus.platform.context import RequestContext
from community_plus.platform.errors import BadUserInput, Forbidden, NotFound, Unauthenticated
from community_plus.platform.repository import Page
from community_plus.platform.security.passwords import hash_password, verify_password
from community_plus.domains.audit import service as audit
from community_plus.domains.staff.accounts import MIN_PASSWORD, create_staff_user
from community_plus.platform.transactions import in_transaction
from community_plus.domains.staff.repository import StaffRepositories
from community_plus.domains.linkage.repository import DepartmentRepository
from community_plus.domains.staff.rules import COMMUNITY_ROLES, place_of, require_manage
from community_plus.platform.repository import new_id
from community_plus.domains.staff.login_guard import new_totp_secret, provisioning_uri, totp_ok

RESET_TTL = timedelta(hours=24)
MAX_PASSWORD = 256


def code_hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def password_problem(password: str | None) -> str | None:
    if len(password or "") < MIN_PASSWORD:
        return f"密码至少{MIN_PASSWORD}位 (at least {MIN_PASSWORD} characters)"
    if len(password or "") > MAX_PASSWORD:
        return f"最多{MAX_PASSWORD}个字符 (at most {MAX_PASSWORD} characters)"
    return None


class StaffService:
    def __init__(self, ctx: RequestContext) -> None:
        self.ctx = ctx
        self.p = ctx.platform

    async def _repos(self) -> StaffRepositories:
        return await StaffRepositories.of(self.p)

    async def _place(self, account: dict[str, Any]) -> dict[str, Any] | None:
        pid = place_of(account)
        return await self.ctx.loaders.by_id("regions").load(pid) if pid else None

    async def _target_place(self, role: str, region_id: str | None, community_id: str | None,
                            department_id: str | None) -> dict[str, Any] | None:
        """The region an account of `role` would be attached to (a department's region for its staff)."""
        if role == "department_staff":
            department = await DepartmentRepository(self.p.db).get(department_id) if department_id else None
            region_id = department["regionId"] if department else None
        place_id = community_id if role in COMMUNITY_ROLES else region_id
        return await self.ctx.loaders.by_id("regions").load(place_id) if place_id else None

    async def _audit_doc(self, account: dict[str, Any]) -> dict[str, Any]:
        """What the audit entry is filed under: the account's community and region path."""
        place = await self._place(account)
        path = list((place or {}).get("path", []))
        if place and place.get("level") != "community":
            path.append(place["_id"])
        return {"_id": account["_id"], "communityId": account.get("communityId"), "regionPath": path}

    async def _managed(self, user_id: str) -> dict[str, Any]:
        """An account the caller may manage; NOT_FOUND when outside its scope, FORBIDDEN when visible but above."""
        editor = self.ctx.scope.require_role("platform_admin", "region_admin", "community_admin")
        account = await self.p.users.get(user_id)
        if account is None or account.get("role") not in STAFF_ROLES:
            raise NotFound("staff")
        if account["_id"] == editor.user_id:
            raise Forbidden("不能在此修改自己的账号，请用“修改密码” (manage your own account with changeMyPassword)")
        require_manage(editor, account["role"], await self._place(account))
        return account

    async def list(self, first: int, after: str | None) -> Page:
        editor = self.ctx.scope.require_role("platform_admin", "region_admin", "community_admin")
        repos = await self._repos()
        if editor.role == "platform_admin" and not self.ctx.scope.community_id:
            f: dict[str, Any] = {}
        elif editor.role == "region_admin" and not self.ctx.scope.community_id:
            ids = [editor.region_id, *await repos.regions.ids_under(editor.region_id)]
            f = {"$or": [{"communityId": {"$in": ids}}, {"regionId": {"$in": ids}}]}
        else:
            f = {"communityId": self.ctx.scope.community_id or editor.community_id}
        return await repos.staff.page_in(f, first, after)

    async def create(self, *, username: str, password: str, role: str, display_name: str,
                     region_id: str | None, community_id: str | None, grid_ids: list[str],
                     phone: str | None, department_id: str | None = None) -> dict[str, Any]:
        editor = self.ctx.scope.require_role("platform_admin", "region_admin", "community_admin")
        place = await self._target_place(role, region_id, community_id, department_id)
        if place is not None or role == "platform_admin":
            require_manage(editor, role, place)
        doc = await create_staff_user(self.p, username=username, password=password, role=role,
                                      display_name=display_name or username, region_id=region_id,
                                      community_id=community_id, grid_ids=grid_ids, phone=phone,
                                      department_id=department_id)
        await audit.record(self.ctx, "create_staff", "staff", await self._audit_doc(doc),
                           fields=["username", "role"], role=role)
        return doc

    async def _end_sessions(self, user_id: str) -> None:
        for sid in await (await self._repos()).sessions.revoke_all(user_id):
            self.p.session_gate.forget(sid)

    async def set_disabled(self, user_id: str, disabled: bool) -> dict[str, Any]:
        account = await self._managed(user_id)
        repos = await self._repos()
        updated = await repos.staff.set_fields(user_id, {"disabled": disabled})
        if disabled:
            await self._end_sessions(user_id)
        await audit.record(self.ctx, "disable_staff" if disabled else "enable_staff", "staff",
                           await self._audit_doc(account), fields=["disabled"])
        return updated or account

    async def issue_reset(self, user_id: str) -> tuple[str, datetime]:
        """A one-time reset code (shown once to the admin, who hands it over), valid 24 h."""
        account = await self._managed(user_id)
        code = secrets.token_urlsafe(18)
        expires = datetime.now(UTC) + RESET_TTL
        await (await self._repos()).resets.replace_for({"codeHash": code_hash(code), "userId": user_id,
                                                        "issuedBy": self.ctx.scope.require().user_id,
                                                        "createdAt": datetime.now(UTC), "expiresAt": expires})
        await audit.record(self.ctx, "issue_password_reset", "staff", await self._audit_doc(account),
                           fields=["password"])
        return code, expires

    async def redeem_reset(self, code: str, new_password: str) -> bool:
        """Set a new password with a reset code (no login needed); the code then stops working."""
        problem = password_problem(new_password)
        if problem:
            raise BadUserInput({"newPassword": problem})
        if not code or len(code) > 200:
            raise BadUserInput({"code": "必填 (required)"})
        repos = await self._repos()
        reset = await repos.resets.consume(code_hash(code), datetime.now(UTC))
        account = await self.p.users.get(reset["userId"]) if reset else None
        if account is None:
            raise Unauthenticated("重置码无效、已使用或已过期，请联系管理员重新获取 (reset code invalid, used or expired)",
                                  reason="RESET_CODE_INVALID")
        await self.p.users.set_password(account["_id"], hash_password(new_password))
        await repos.staff.clear_failures(account["_id"])
        await self._end_sessions(account["_id"])
        entry = await self._audit_doc(account)
        await self.p.audit.append({**_anonymous_entry(self.ctx, "redeem_password_reset", entry, account),
                                   "fields": ["password"]})
        return True

    async def change_own_password(self, old_password: str, new_password: str) -> bool:
        me = self.ctx.scope.require_role("platform_admin", "region_admin", "community_admin", "grid_worker")
        account = await self.p.users.get(me.user_id)
        if account is None or not verify_password(account.get("passwordHash") or "", old_password or ""):
            raise BadUserInput({"oldPassword": "原密码不正确 (the current password is wrong)"})
        problem = password_problem(new_password)
        if problem:
            raise BadUserInput({"newPassword": problem})
        await self.p.users.set_password(me.user_id, hash_password(new_password))
        repos = await self._repos()
        for sid in await repos.sessions.active_ids(me.user_id):  # other devices log in again
            if sid != me.session_id:
                await self.p.sessions.revoke(sid)
                self.p.session_gate.forget(sid)
        await audit.record(self.ctx, "change_own_password", "staff", await self._audit_doc(account),
                           fields=["password"])
        return True

    async def unlock(self, user_id: str) -> dict[str, Any]:
        account = await self._managed(user_id)
        repos = await self._repos()
        await repos.staff.clear_failures(user_id)
        await audit.record(self.ctx, "unlock_staff", "staff", await self._audit_doc(account), fields=["lockedUntil"])
        return await self.p.users.get(user_id) or account

    async def reset_totp(self, user_id: str) -> dict[str, Any]:
        """Remove an account's second factor (a lost phone): its sessions end, the next login asks
        for the password only, and the owner enrols again."""
        account = await self._managed(user_id)
        repos = await self._repos()
        updated = await repos.staff.set_fields(user_id, {"totpEnabled": False}, unset=["totpSecret", "totpPending"])
        await self._end_sessions(user_id)
        await audit.record(self.ctx, "reset_totp", "staff", await self._audit_doc(account), fields=["totp"])
        return updated or account

    async def update_role(self, user_id: str, *, role: str, region_id: str | None, community_id: str | None,
                          grid_ids: list[str], department_id: str | None = None) -> dict[str, Any]:
        """Change role and scope; the editor must manage the account both before and after."""
        account = await self._managed(user_id)
        editor = self.ctx.scope.require()
        place = await self._target_place(role, region_id, community_id, department_id)
        errors: dict[str, str] = {}
        if role == "department_staff" and place is None:
            errors["departmentId"] = "需要一个职能部门 id (give an existing department id)"
        elif role in ("region_admin", "hotline_operator") and (place is None or place.get("level") == "community"):
            errors["regionId"] = "需要一个省/市/区/街道的区域 id (give a province, city, district or street id)"
        elif role in COMMUNITY_ROLES and (place is None or place.get("level") != "community"):
            errors["communityId"] = "需要一个社区 id (give an existing community id)"
        elif role not in STAFF_ROLES:
            errors["role"] = "未知角色 (unknown role)"
        if role == "grid_worker":
            found = await self.p.grids.get_many(grid_ids)
            if not grid_ids or any(g not in found or found[g]["communityId"] != community_id for g in grid_ids):
                errors["gridIds"] = "网格员至少负责一个本社区的网格 (a grid worker needs grids of its community)"
        if errors:
            raise BadUserInput(errors)
        require_manage(editor, role, place)
        values: dict[str, Any] = {"role": role}
        unset = [k for k in ("regionId", "communityId", "gridIds", "departmentId")]
        if role in ("region_admin", "hotline_operator", "department_staff"):
            values["regionId"] = place["_id"] if place else region_id
        if role == "department_staff":
            values["departmentId"] = department_id
        if role in ("community_admin", "grid_worker"):
            values["communityId"] = community_id
        if role == "grid_worker":
            values["gridIds"] = grid_ids
        unset = [k for k in unset if k not in values]
        old_grids = list(account.get("gridIds") or [])

        repos = await self._repos()

        async def write(session) -> dict[str, Any] | None:
            await repos.grids.reassign(user_id, old_grids, grid_ids if role == "grid_worker" else [], session=session)
            return await repos.staff.replace_scope(user_id, values, unset, session=session)

        updated = await in_transaction(self.p.client, write)
        await self._end_sessions(user_id)  # tokens carry role and scope: log in again
        changed = [k for k in ("role", "regionId", "communityId", "gridIds", "departmentId") if account.get(k) != (updated or {}).get(k)]
        await audit.record(self.ctx, "update_staff_role", "staff", await self._audit_doc(updated or account),
                           fields=changed, before={k: account.get(k) for k in changed},
                           after={k: (updated or {}).get(k) for k in changed})
        return updated or account


def _anonymous_entry(ctx: RequestContext, action: str, doc: dict[str, Any], account: dict[str, Any]) -> dict[str, Any]:
    """An audit entry whose actor is the account itself (no login: reset codes, lockouts)."""
    return {"_id": new_id(), "at": datetime.now(UTC), "action": action, "entity": "staff", "entityId": doc["_id"],
            "communityId": doc.get("communityId"), "regionPath": doc.get("regionPath", []), "fields": [],
            "actorId": account["_id"], "actorRole": account.get("role"),
            "actorName": account.get("displayName") or account.get("username"), "requestId": ctx.request_id}


class TotpService:
    """An admin's own second factor: enrol (secret + provisioning URI), confirm, then required."""

    ADMINS = ("platform_admin", "region_admin", "community_admin")

    def __init__(self, ctx: RequestContext) -> None:
        self.ctx = ctx
        self.p = ctx.platform

    async def start(self) -> tuple[str, str]:
        me = self.ctx.scope.require_role(*self.ADMINS)
        account = await self.p.users.get(me.user_id)
        if account is None:
            raise NotFound("staff")
        secret = new_totp_secret()
        await (await StaffRepositories.of(self.p)).staff.set_fields(me.user_id, {"totpPending": secret})
        return secret, provisioning_uri(secret, account["username"])

    async def confirm(self, code: str) -> bool:
        me = self.ctx.scope.require_role(*self.ADMINS)
        account = await self.p.users.get(me.user_id)
        pending = (account or {}).get("totpPending")
        if not pending:
            raise BadUserInput({"code": "请先开始绑定 (call startTotpEnrolment first)"})
        if not totp_ok(pending, code):
            raise BadUserInput({"code": "动态验证码错误 (wrong authenticator code)"})
        await (await StaffRepositories.of(self.p)).staff.set_fields(me.user_id, {"totpSecret": pending, "totpEnabled": True},
                                                                    unset=["totpPending"])
        await audit.record(self.ctx, "enable_totp", "staff", await StaffService(self.ctx)._audit_doc(account),
                           fields=["totp"])
        return True
