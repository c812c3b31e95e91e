"""Care workers (护理员) of a provider. Community admins register them; each worker binds
their own mini-program account once with a one-time binding code, after which the module
knows them by user id (check-in, check-out, their day's visits). Workers marked
`canDispatch` are their provider's dispatchers."""

from __future__ import annotations

import secrets
from typing import Any

from community_plus_sdk import ConflictError, ForbiddenError, ModuleContext, NotFoundError, UserInputError
from community_plus_sdk.relay import Page, paginate

from .access import Actor
from .checks import Problems
from .manifest import CATEGORIES, MANAGE_PROVIDERS

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))


class WorkerService:
    def __init__(self, ctx: ModuleContext) -> None:
        self.ctx = ctx
        self.actor = Actor(ctx)
        self.coll = ctx.collection("care_workers")

    def _clean(self, data: dict[str, Any], p: Problems, *, creating: bool) -> dict[str, Any]:
        values: dict[str, Any] = {}
        if creating or data.get("name") is not None:
            values["name"] = p.text("input.name", data.get("name"), max_length=30, required=True)
        if data.get("phone") is not None:
            values["phone"] = p.phone("input.phone", data["phone"])
        if data.get("skills") is not None:
            skills = list(dict.fromkeys(data["skills"]))
            for i, s in enumerate(skills):
                if s not in CATEGORIES:
                    p.add(f"input.skills.{i}", f"应为 {' / '.join(CATEGORIES)} (one of {CATEGORIES})")
            values["skills"] = skills
        for flag in ("can_dispatch", "active"):
            if data.get(flag) is not None:
                values[{"can_dispatch": "canDispatch", "active": "active"}[flag]] = bool(data[flag])
        return values

    async def register(self, data: dict[str, Any]) -> dict[str, Any]:
        self.ctx.require_permission(MANAGE_PROVIDERS)
        p = Problems()
        provider_id = p.identifier("input.providerId", data.get("provider_id"))
        values = self._clean(data, p, creating=True)
        p.raise_if_any()
        provider = await self.ctx.collection("providers").find_one({"_id": provider_id})
        if provider is None:
            raise UserInputError({"input.providerId": "服务机构不存在 (no such provider)"})
        doc = await self.coll.insert({"providerId": provider_id, "providerName": provider["name"], "skills": [],
                                      "canDispatch": False, "active": True, **values, "userId": None,
                                      "bindingCode": new_code(), "createdBy": self.actor.caller.user_id})
        await self.ctx.audit("register", "CareWorker", doc, sorted(values))
        return doc

    async def update(self, worker_id: str, data: dict[str, Any], version: int | None) -> dict[str, Any]:
        self.ctx.require_permission(MANAGE_PROVIDERS)
        p = Problems()
        values = self._clean(data, p, creating=False)
        p.raise_if_any()
        return await self._change(worker_id, values, version, "update")

    async def reset_binding(self, worker_id: str) -> dict[str, Any]:
        """Unbind the worker's account (e.g. a lost phone) and issue a new binding code."""
        self.ctx.require_permission(MANAGE_PROVIDERS)
        return await self._change(worker_id, {"userId": None, "userName": None, "bindingCode": new_code()}, None,
                                  "reset_binding")

    async def _change(self, worker_id: str, values: dict[str, Any], version: int | None, action: str) -> dict[str, Any]:
        if await self.coll.find_one({"_id": worker_id}) is None:
            raise NotFoundError("护理员不存在 (no such care worker)")
        doc = await self.coll.update({"_id": worker_id}, values,
                                     expect={"version": version} if version is not None else None)
        if doc is None:
            raise ConflictError("护理员信息已被他人修改，请刷新 (the worker changed meanwhile: reload and retry)")
        await self.ctx.audit(action, "CareWorker", doc, sorted(values))
        return doc

    async def bind(self, code: str) -> dict[str, Any]:
        """The calling account becomes this care worker (one-time code from the community)."""
        caller = self.actor.caller
        code = (code or "").strip().upper()
        if not code:
            raise UserInputError({"code": "必填 (required)"})
        doc = await self.coll.update({"bindingCode": code, "userId": None, "active": True},
                                     {"userId": caller.user_id, "userName": caller.name, "bindingCode": None})
        if doc is None:
            raise UserInputError({"code": "绑定码无效或已使用 (unknown or already used binding code)"})
        await self.ctx.audit("bind", "CareWorker", doc, ["userId"])
        return doc

    async def reveal_phone(self, worker_id: str) -> str | None:
        """The worker's full number (audited): provider managers, that provider's dispatchers and
        the worker themself."""
        worker = await self.coll.find_one({"_id": worker_id})
        if worker is None:
            raise NotFoundError("护理员不存在 (no such care worker)")
        if not (self.may_manage() or worker.get("userId") == self.actor.caller.user_id
                or worker["providerId"] in await self.actor.dispatch_provider_ids()):
            raise ForbiddenError("无权查看完整的手机号 (only provider managers and dispatchers may reveal it)")
        return await self.ctx.reveal("care_workers", worker_id, "phone", entity="CareWorker")

    def may_manage(self) -> bool:
        return self.ctx.has_permission(MANAGE_PROVIDERS)

    async def list(self, provider_id: str | None, active: bool | None, first: int, after: str | None) -> Page:
        """Admins: every worker; a provider's dispatchers: that provider's workers."""
        query: dict[str, Any] = {}
        if not self.may_manage():
            mine = sorted(await self.actor.dispatch_provider_ids())
            if not mine:
                raise ForbiddenError("只有社区管理员或机构调度员可以查看护理员 (admins and provider dispatchers only)")
            if provider_id is not None and provider_id not in mine:
                return Page([], False, 0)
            query["providerId"] = provider_id or {"$in": mine}
        elif provider_id is not None:
            query["providerId"] = provider_id
        if active is not None:
            query["active"] = active
        return await paginate(self.coll, query, first, after)

    async def mine(self) -> list[dict[str, Any]]:
        return await self.actor.worker_records()
