"""Providers invite their own care workers (机构邀请护理员): a provider's dispatcher (its
"provider admin", `canDispatch`) — or a community admin — registers a care worker and issues,
in one step, the community's staff invitation for them through the SDK (`ctx.invite_staff`).
The worker, logged in with WeChat, redeems the invitation code (`redeemStaffInvitation`),
which makes them a member of the community, then binds their record with the binding code
(`bindCareWorkerAccount`). Both codes are shown once, to the inviter."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from community_plus_sdk import ForbiddenError, UserInputError

from .api.inputs import plain
from .api.types import CareWorker
from .checks import Problems
from .manifest import module
from .workers import WorkerService, new_code

ROLE = "care_worker"


@strawberry.input(description="A care worker a provider invites: the record to register and how long the "
                              "invitation stays valid.")
class InviteCareWorkerInput:
    provider_id: strawberry.ID
    name: str
    phone: str | None = None
    skills: list[str] | None = None
    expires_in_days: int | None = strawberry.field(default=None, description="1 to 30; 7 by default.")


@strawberry.type(description="An invited care worker: hand both codes to the worker (shown only now).")
class CareWorkerInvitation:
    worker: CareWorker
    invitation_id: strawberry.ID
    invitation_code: str = strawberry.field(description="For redeemStaffInvitation: joins the community.")
    binding_code: str = strawberry.field(description="For bindCareWorkerAccount, after redeeming.")
    expires_at: datetime


async def invite(ctx: Any, data: dict[str, Any]) -> CareWorkerInvitation:
    """Register the worker and invite them: community admins for any provider, a provider's
    dispatchers for their own provider."""
    service = WorkerService(ctx)
    p = Problems()
    provider_id = p.identifier("input.providerId", data.get("provider_id"))
    values = service._clean(data, p, creating=True)
    days = data.get("expires_in_days") or 7
    if not 1 <= days <= 30:
        p.add("input.expiresInDays", "应在 1 到 30 天之间 (between 1 and 30 days)")
    p.raise_if_any()
    if not (service.may_manage() or provider_id in await service.actor.dispatch_provider_ids()):
        raise ForbiddenError("只有社区管理员或本机构调度员可以邀请护理员 (community admins and the provider's "
                             "dispatchers invite care workers)")
    provider = await ctx.collection("providers").find_one({"_id": provider_id})
    if provider is None:
        raise UserInputError({"input.providerId": "服务机构不存在 (no such provider)"})
    workers = ctx.collection("care_workers")
    doc = await workers.insert({"providerId": provider_id, "providerName": provider["name"], "skills": [],
                                "canDispatch": False, "active": True, **values, "userId": None,
                                "bindingCode": new_code(), "createdBy": service.actor.caller.user_id})
    try:
        invitation = await ctx.invite_staff(ROLE, values["name"], expires_in_days=days)
    except Exception:  # nothing half-created: the record goes with the refused invitation
        await workers.delete({"_id": doc["_id"]})
        raise
    doc = await workers.update({"_id": doc["_id"]}, {"invitationId": invitation.id}) or doc
    await ctx.audit("invite", "CareWorker", doc, sorted(values))
    return CareWorkerInvitation(worker=CareWorker.of(doc, True), invitation_id=invitation.id,
                                invitation_code=invitation.code, binding_code=doc["bindingCode"],
                                expires_at=invitation.expires_at)


@strawberry.type
class ElderCareInvitationMutation:
    @strawberry.mutation(description="A provider invites a care worker: registers the worker and issues the "
                                     "community's staff invitation (community admins; the provider's dispatchers).")
    async def invite_care_worker(self, info: strawberry.Info, input: InviteCareWorkerInput) -> CareWorkerInvitation:
        return await invite(module.context(info), plain(input))
