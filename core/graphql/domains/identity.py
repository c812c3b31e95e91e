"""Resident identity API: WeChat login, phone binding, binding requests and family members."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import strawberry

from community_plus.domains.identity.bindings import BindingService, BindOutcome
from community_plus.domains.family.service import FamilyService
from community_plus.domains.identity.service import WeChatIdentityService
from community_plus_sdk.relay import DEFAULT_FIRST, Connection, connection
from community_plus.platform.context import Ctx
from community_plus.graphql.domains.types import AuthPayload, Community, Resident, payload

STAFF = ("platform_admin", "region_admin", "community_admin", "grid_worker")


@strawberry.enum(description="Outcome of a phone binding.")
class BindingStatus(enum.Enum):
    BOUND = "bound"
    PENDING = "pending"


@strawberry.enum
class BindingRequestStatus(enum.Enum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


@strawberry.enum(description="How a ward is related to their guardian.")
class FamilyRelation(enum.Enum):
    PARENT = "parent"
    GRANDPARENT = "grandparent"
    SPOUSE = "spouse"
    CHILD = "child"
    GRANDCHILD = "grandchild"
    SIBLING = "sibling"
    RELATIVE = "relative"
    OTHER = "other"


@strawberry.type(description="A request to bind a WeChat account to a resident record, decided by community staff.")
class BindingRequest:
    id: strawberry.ID
    status: BindingRequestStatus
    community_id: strawberry.ID
    name: str | None = strawberry.field(description="The name the resident gave.")
    phone: str | None = strawberry.field(description="The verified phone, masked (138****5678).")
    resident_id: strawberry.ID | None = strawberry.field(description="The bound record, once approved.")
    reason: str | None = strawberry.field(description="Why it was rejected, if it was.")
    created_at: datetime
    decided_at: datetime | None

    candidate_ids: strawberry.Private[list[str]]

    @classmethod
    def of(cls, d: dict[str, Any]) -> BindingRequest:
        return cls(id=d["_id"], status=BindingRequestStatus(d["status"]), community_id=d["communityId"],
                   name=d.get("name"), phone=d.get("phoneMasked"), resident_id=d.get("residentId"),
                   reason=d.get("reason"), created_at=d["createdAt"], decided_at=d.get("decidedAt"),
                   candidate_ids=list(d.get("candidateResidentIds") or []))

    @strawberry.field
    async def community(self, info: Ctx) -> Community | None:
        d = await info.context.loaders.by_id("regions").load(self.community_id)
        return Community.of(d) if d else None

    @strawberry.field(description="Records of this community with the verified phone (staff only; empty otherwise).")
    async def candidates(self, info: Ctx) -> list[Resident]:
        p = info.context.scope.principal
        if p is None or p.role not in STAFF:
            return []
        docs = await info.context.loaders.by_id("residents").load_many(self.candidate_ids)
        return [Resident.of(d) for d in docs if d]


@strawberry.type(description="Result of bindPhone: bound at once (new tokens), or a request waiting for staff.")
class BindPhonePayload:
    status: BindingStatus
    phone: str | None = strawberry.field(description="The verified phone, masked.")
    auth: AuthPayload | None = strawberry.field(description="New tokens carrying the resident claims (when BOUND).")
    request: BindingRequest | None = strawberry.field(description="The binding request (when PENDING).")


def _bind_payload(o: BindOutcome) -> BindPhonePayload:
    return BindPhonePayload(status=BindingStatus(o.status), phone=o.phone_masked,
                            auth=payload(o.tokens) if o.tokens else None,
                            request=BindingRequest.of(o.request) if o.request else None)


@strawberry.type(description="A resident (guardian) looking after a family member (ward).")
class Guardianship:
    id: strawberry.ID
    guardian_resident_id: strawberry.ID
    ward_resident_id: strawberry.ID
    relation: FamilyRelation | None
    community_id: strawberry.ID
    created_at: datetime

    @classmethod
    def of(cls, d: dict[str, Any]) -> Guardianship:
        return cls(id=d["_id"], guardian_resident_id=d["guardianResidentId"], ward_resident_id=d["wardResidentId"],
                   relation=FamilyRelation(d["relation"]) if d.get("relation") else None,
                   community_id=d["communityId"], created_at=d["createdAt"])

    @strawberry.field
    async def guardian(self, info: Ctx) -> Resident | None:
        d = await info.context.loaders.by_id("residents").load(self.guardian_resident_id)
        return Resident.of(d) if d else None

    @strawberry.field
    async def ward(self, info: Ctx) -> Resident | None:
        d = await info.context.loaders.by_id("residents").load(self.ward_resident_id)
        return Resident.of(d) if d else None


@strawberry.type(description="A family member the viewer is guardian of.")
class FamilyMember:
    guardianship_id: strawberry.ID
    relation: FamilyRelation | None
    resident: Resident


@strawberry.type
class IdentityQuery:
    @strawberry.field(description="Family members the viewer (a bound resident) is guardian of.")
    async def my_family(self, info: Ctx) -> list[FamilyMember]:
        links = await FamilyService(info.context).my_wards()
        docs = await info.context.loaders.by_id("residents").load_many([g["wardResidentId"] for g in links])
        return [FamilyMember(guardianship_id=g["_id"], relation=FamilyRelation(g["relation"]) if g.get("relation")
                             else None, resident=Resident.of(d)) for g, d in zip(links, docs, strict=True) if d]

    @strawberry.field(description="The viewer's latest binding request, if any.")
    async def my_binding_request(self, info: Ctx) -> BindingRequest | None:
        d = await BindingService(info.context).mine()
        return BindingRequest.of(d) if d else None

    @strawberry.field(description="Binding requests of the communities in the viewer's scope (staff).")
    async def binding_requests(self, info: Ctx, status: BindingRequestStatus = BindingRequestStatus.PENDING,
                               first: int = DEFAULT_FIRST, after: str | None = None) -> Connection[BindingRequest]:
        return connection(await BindingService(info.context).list(status.value, first, after), BindingRequest.of)


@strawberry.type
class IdentityMutation:
    @strawberry.mutation(description="Log in with a wx.login() code; creates an unbound resident account on first use.")
    async def login_with_wechat(self, info: Ctx, code: str) -> AuthPayload:
        return payload(await WeChatIdentityService(info.context).login(code))

    @strawberry.mutation(description="Verify the phone behind a phone-button code and bind the resident record "
                                     "(or file a binding request: pass communityId and name when no record matches).")
    async def bind_phone(self, info: Ctx, code: str, community_id: strawberry.ID | None = None,
                         name: str | None = None) -> BindPhonePayload:
        return _bind_payload(await WeChatIdentityService(info.context).bind_phone(code, community_id, name))

    @strawberry.mutation(description="Legacy phone binding with encryptedData/iv from an old getPhoneNumber button.")
    async def bind_phone_encrypted(self, info: Ctx, encrypted_data: str, iv: str,
                                   community_id: strawberry.ID | None = None,
                                   name: str | None = None) -> BindPhonePayload:
        return _bind_payload(await WeChatIdentityService(info.context).bind_phone_encrypted(
            encrypted_data, iv, community_id, name))

    @strawberry.mutation(description="Approve a binding request, binding it to residentId (or its only candidate).")
    async def approve_binding(self, info: Ctx, request_id: strawberry.ID,
                              resident_id: strawberry.ID | None = None) -> BindingRequest:
        return BindingRequest.of(await BindingService(info.context).approve(request_id, resident_id))

    @strawberry.mutation
    async def reject_binding(self, info: Ctx, request_id: strawberry.ID, reason: str | None = None) -> BindingRequest:
        return BindingRequest.of(await BindingService(info.context).reject(request_id, reason))

    @strawberry.mutation(description="Record that a resident is guardian of a family member (community admins).")
    async def add_guardianship(self, info: Ctx, guardian_resident_id: strawberry.ID, ward_resident_id: strawberry.ID,
                               relation: FamilyRelation | None = None) -> Guardianship:
        return Guardianship.of(await FamilyService(info.context).add(
            guardian_resident_id, ward_resident_id, relation.value if relation else None))

    @strawberry.mutation
    async def remove_guardianship(self, info: Ctx, id: strawberry.ID) -> bool:
        return await FamilyService(info.context).remove(id)
