"""Core queries and mutations: regions, communities, grids, residents and sessions."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry
from strawberry.scalars import JSON

from community_plus.domains.identity.auth import AuthService
from community_plus.domains.regions.service import RegionService
from community_plus.domains.residents.service import ResidentService
from community_plus.graphql.prefetch import prime
from community_plus_sdk.relay import DEFAULT_FIRST, Connection, connection
from community_plus.platform.context import Ctx
from community_plus.graphql.domains.types import (AuthPayload, Community, Gender, Grid, Region, Resident, ResidentTag, Viewer,
                                          payload, viewer_of)


@strawberry.input
class ResidentFilter:
    community_id: strawberry.ID | None = None
    grid_id: strawberry.ID | None = None
    tags: list[ResidentTag] | None = strawberry.field(default=None, description="Residents having all these tags.")
    age_min: int | None = None
    age_max: int | None = None
    name_prefix: str | None = None
    registered: bool | None = strawberry.field(default=None, description="Local household registration (户籍).")


@strawberry.input
class AddressInput:
    building: str | None = None
    unit: str | None = None
    room: str | None = None
    detail: str | None = None


@strawberry.input
class CreateResidentInput:
    name: str
    community_id: strawberry.ID | None = None
    grid_id: strawberry.ID | None = None
    gender: Gender | None = None
    birth_date: date | None = None
    id_number: str | None = strawberry.field(default=None, description="18-digit ID number (GB 11643).")
    phone: str | None = None
    household_id: strawberry.ID | None = None
    relation: str | None = None
    address: AddressInput | None = None
    registered: bool | None = None
    tags: list[ResidentTag] | None = None


@strawberry.input
class UpdateResidentInput:
    name: str | None = None
    grid_id: strawberry.ID | None = None
    gender: Gender | None = None
    birth_date: date | None = None
    id_number: str | None = None
    phone: str | None = None
    household_id: strawberry.ID | None = None
    relation: str | None = None
    address: AddressInput | None = None
    registered: bool | None = None
    tags: list[ResidentTag] | None = None
    version: int | None = strawberry.field(default=None, description="Fail with CONFLICT if the record changed.")


def _input_dict(obj) -> dict:
    out = {}
    for k, v in vars(obj).items():
        if v is strawberry.UNSET or v is None:
            continue
        if isinstance(v, list):
            v = [x.value if hasattr(x, "value") else x for x in v]
        elif hasattr(v, "value") and not isinstance(v, str | int | float | bool | date):
            v = v.value
        elif isinstance(v, AddressInput):
            v = {kk: vv for kk, vv in vars(v).items() if vv is not None}
        out[k] = v
    return out


@strawberry.type
class CoreQuery:
    @strawberry.field(description="The logged-in principal, or null when no token was sent. A token that was sent "
                                  "but refused answers UNAUTHENTICATED with extensions.reason TOKEN_EXPIRED "
                                  "(refresh the session) or TOKEN_INVALID (log in again).")
    def me(self, info: Ctx) -> Viewer | None:
        scope = info.context.scope
        if scope.principal is None and scope.auth_error is not None:
            raise scope.auth_error
        return viewer_of(scope.principal) if scope.principal else None

    @strawberry.field
    async def community(self, info: Ctx, id: strawberry.ID) -> Community:
        return Community.of(await RegionService(info.context).community(id))

    @strawberry.field
    async def communities(self, info: Ctx, first: int = DEFAULT_FIRST, after: str | None = None,
                          under: strawberry.ID | None = None) -> Connection[Community]:
        return connection(await RegionService(info.context).communities(first, after, under), Community.of)

    @strawberry.field(description="Children of a region (top-level regions when parentId is null).")
    async def regions(self, info: Ctx, parent_id: strawberry.ID | None = None) -> list[Region]:
        return [Region.of(d) for d in await RegionService(info.context).regions(parent_id)]

    @strawberry.field
    async def grid(self, info: Ctx, id: strawberry.ID) -> Grid:
        return Grid.of(await RegionService(info.context).grid(id))

    @strawberry.field
    async def grids(self, info: Ctx, community_id: strawberry.ID | None = None, first: int = DEFAULT_FIRST,
                    after: str | None = None) -> Connection[Grid]:
        return connection(await RegionService(info.context).grids(first, after, community_id), Grid.of)

    @strawberry.field(description="The grid containing a point (WGS84 longitude/latitude), if any.")
    async def grid_at(self, info: Ctx, longitude: float, latitude: float) -> Grid | None:
        d = await RegionService(info.context).grid_at(longitude, latitude)
        return Grid.of(d) if d else None

    @strawberry.field
    async def resident(self, info: Ctx, id: strawberry.ID) -> Resident:
        return Resident.of(await ResidentService(info.context).get(id))

    @strawberry.field
    async def residents(self, info: Ctx, filter: ResidentFilter | None = None, first: int = DEFAULT_FIRST,
                        after: str | None = None) -> Connection[Resident]:
        f = _input_dict(filter) if filter else {}
        page = await ResidentService(info.context).list(f, first, after)
        await prime(info, page.docs, {("grid",): ("grids", "gridId")})
        return connection(page, Resident.of)


@strawberry.type
class CoreMutation:
    @strawberry.mutation
    async def login_with_password(self, info: Ctx, username: str, password: str,
                                  totp_code: Annotated[str | None, strawberry.argument(
                                      description="Authenticator code, for accounts with TOTP.")] = None
                                  ) -> AuthPayload:
        return payload(await AuthService(info.context.platform).login_with_password(
            username, password, totp_code, info.context.request_id))

    @strawberry.mutation(description="Exchange a refresh token for new tokens; the old one stops working.")
    async def refresh_session(self, info: Ctx, refresh_token: str) -> AuthPayload:
        return payload(await AuthService(info.context.platform).refresh(refresh_token))

    @strawberry.mutation(description="Revoke the current session's refresh token.")
    async def logout(self, info: Ctx) -> bool:
        return await AuthService(info.context.platform).logout(info.context.scope.require())

    @strawberry.mutation
    async def create_resident(self, info: Ctx, input: CreateResidentInput) -> Resident:
        return Resident.of(await ResidentService(info.context).create(_input_dict(input)))

    @strawberry.mutation
    async def update_resident(self, info: Ctx, id: strawberry.ID, input: UpdateResidentInput) -> Resident:
        return Resident.of(await ResidentService(info.context).update(id, _input_dict(input)))

    @strawberry.mutation(description="Create a grid with a GeoJSON Polygon boundary (community admins).")
    async def create_grid(self, info: Ctx, community_id: strawberry.ID, name: str, boundary: JSON,
                          worker_ids: list[strawberry.ID] | None = None) -> Grid:
        return Grid.of(await RegionService(info.context).create_grid(community_id, name, boundary, list(worker_ids or [])))
