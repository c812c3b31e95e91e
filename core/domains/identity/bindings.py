"""Binding a resident account to a resident record after its phone was verified by WeChat.

Exactly one resident record with that phone (narrowed by name and community when given)
binds at once: the account gets `residentId` and `communityId` and fresh tokens carry the
new claims (the old session is revoked). Otherwise, e.g. new citizens without a record or
a phone shared by several records, a binding request goes to the community's staff, who
approve it with the right resident record (`approve`) or reject it. Every binding is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog

from community_plus.platform.context import RequestContext
from community_plus.platform.errors import BadUserInput, Conflict, NotFound
from community_plus.platform.repository import Page
from community_plus.domains.identity.repositories import IdentityRepositories
from community_plus.platform.validation import mask_phone
from community_plus.domains.audit import service as audit
from community_plus.domains.identity.auth import AuthService, Tokens

log = structlog.get_logger("community_plus.bindings")

STAFF_DECIDERS = ("platform_admin", "region_admin", "community_admin")
STATUSES = ("pending", "approved", "rejected")
MAX_NAME = 50
MAX_REASON = 200


@dataclass(slots=True)
class BindOutcome:
    """`status` is "bound" (with tokens) or "pending" (with the request)."""

    status: str
    phone_masked: str | None
    tokens: Tokens | None = None
    request: dict[str, Any] | None = None


class BindingService:
    def __init__(self, ctx: RequestContext) -> None:
        self.ctx = ctx
        self.p = ctx.platform
        self.scope = ctx.scope
        self.repos = IdentityRepositories.of(self.p)

    async def bind_verified_phone(self, user: dict[str, Any], phone: str, community_id: str | None,
                                  name: str | None, method: str) -> BindOutcome:
        """Bind `user` to the single resident record with `phone`, or file a binding request."""
        if user.get("residentId"):
            raise Conflict("该账号已绑定居民档案 (this account is already bound to a resident record)")
        name = (name or "").strip() or None
        if name and len(name) > MAX_NAME:
            raise BadUserInput({"name": "姓名过长 (at most 50 characters)"})
        # Deliberately global: a verified phone may belong to a record in any community.
        candidates = await self.p.residents.find_by_phone(phone, {})
        if name:
            candidates = [c for c in candidates if c.get("name") == name]
        if community_id:
            candidates = [c for c in candidates if c.get("communityId") == community_id]
        if len(candidates) == 1:
            return await self._bind_now(user, candidates[0], phone, method)
        community = await self._community_for(community_id, candidates)
        now = datetime.now(UTC)
        request = await self.repos.binding_requests.open(user["_id"], {
            "communityId": community["_id"], "regionPath": [*community.get("path", []), community["_id"]],
            "name": name, "phoneSealed": self.p.keyring.seal(phone, "phone"),
            "phoneHash": self.p.keyring.blind_index(phone, "phone"), "phoneMasked": mask_phone(phone),
            "candidateResidentIds": [c["_id"] for c in candidates if c["communityId"] == community["_id"]],
            "method": method,
        }, now)
        log.info("binding request filed", request_id=request["_id"], community_id=community["_id"],
                 candidates=len(request["candidateResidentIds"]))
        return BindOutcome("pending", mask_phone(phone), request=request)

    async def _bind_now(self, user: dict[str, Any], resident: dict[str, Any], phone: str, method: str) -> BindOutcome:
        bound = await self.repos.accounts.bind(user["_id"], resident, datetime.now(UTC))
        if bound is None:
            raise Conflict("该账号已绑定居民档案 (this account is already bound to a resident record)")
        await audit.record(self.ctx, "wechat_bind", "resident", resident, ["phone"], userId=user["_id"], method=method)
        principal = self.scope.require()
        if principal.session_id:  # the old tokens lack the resident claims
            await self.p.sessions.revoke(principal.session_id)
        tokens = await AuthService(self.p).start_session(bound)
        return BindOutcome("bound", mask_phone(phone), tokens=tokens)

    async def _community_for(self, community_id: str | None, candidates: list[dict[str, Any]]) -> dict[str, Any]:
        if not community_id:
            communities = {c["communityId"] for c in candidates}
            if len(communities) != 1:
                raise BadUserInput({"communityId": "未找到唯一匹配该手机号的居民档案，请选择所在社区后提交绑定申请 "
                                                   "(no single resident record matches this phone: pass communityId "
                                                   "(and name) to ask your community to bind you)"})
            community_id = communities.pop()
        community = await self.ctx.loaders.by_id("regions").load(community_id)
        if community is None or community.get("level") != "community":
            raise BadUserInput({"communityId": "社区不存在 (no such community)"})
        return community

    # -- staff decisions ------------------------------------------------------------------
    async def approve(self, request_id: str, resident_id: str | None) -> dict[str, Any]:
        """Bind the request's account to `resident_id` (or its only candidate)."""
        principal = self.scope.require_role(*STAFF_DECIDERS)
        request = await self.repos.binding_requests.get(request_id, self.scope.community_filter())
        if request is None:
            raise NotFound("binding request")
        if request["status"] != "pending":
            raise Conflict("该申请已处理 (this request was already decided)")
        if not resident_id:
            candidates = request.get("candidateResidentIds") or []
            if len(candidates) != 1:
                raise BadUserInput({"residentId": "请指定要绑定的居民档案；新市民请先登记居民信息 "
                                                  "(pass residentId; for new citizens create the resident first)"})
            resident_id = candidates[0]
        resident = await self.p.residents.get(resident_id, self.scope.resident_filter())
        if resident is None or resident["communityId"] != request["communityId"]:
            raise BadUserInput({"residentId": "该居民不在申请所属社区 (no such resident in the request's community)"})
        now = datetime.now(UTC)
        if await self.repos.accounts.bind(request["userId"], resident, now) is None:
            raise Conflict("该账号已绑定居民档案 (the account is already bound to a resident record)")
        decided = await self.repos.binding_requests.decide(request_id, self.scope.community_filter(), "approved",
                                                           now, principal.user_id, residentId=resident["_id"])
        if decided is None:
            raise Conflict("该申请已处理 (this request was already decided)")
        await audit.record(self.ctx, "binding_approve", "resident", resident, [], requestId=request_id,
                           userId=request["userId"])
        return decided

    async def reject(self, request_id: str, reason: str | None) -> dict[str, Any]:
        principal = self.scope.require_role(*STAFF_DECIDERS)
        reason = (reason or "").strip() or None
        if reason and len(reason) > MAX_REASON:
            raise BadUserInput({"reason": "原因过长 (at most 200 characters)"})
        decided = await self.repos.binding_requests.decide(request_id, self.scope.community_filter(), "rejected",
                                                           datetime.now(UTC), principal.user_id, reason=reason)
        if decided is None:
            if await self.repos.binding_requests.get(request_id, self.scope.community_filter()) is None:
                raise NotFound("binding request")
            raise Conflict("该申请已处理 (this request was already decided)")
        return decided

    async def list(self, status: str, first: int, after: str | None) -> Page:
        self.scope.require_role(*STAFF_DECIDERS)
        if status not in STATUSES:
            raise BadUserInput({"status": f"未知状态 (use one of {', '.join(s.upper() for s in STATUSES)})"})
        return await self.repos.binding_requests.page({**self.scope.community_filter(), "status": status},
                                                      first, after)

    async def mine(self) -> dict[str, Any] | None:
        """The caller's latest binding request, if any."""
        principal = self.scope.require()
        return await self.repos.binding_requests.latest_of(principal.user_id)
