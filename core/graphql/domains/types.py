"""The core graph every domain's API links to: regions, communities, grids, grid workers,
residents and their home visits, the viewer and the sign-in payload."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import strawberry
from strawberry.dataloader import DataLoader
from strawberry.scalars import JSON

from community_plus.domains.residents.service import ResidentService
from community_plus.domains.visits.service import VisitService
from community_plus.graphql.prefetch import cached_or_load
from community_plus.platform.context import Ctx, RequestContext
from community_plus.platform.errors import BadUserInput

if TYPE_CHECKING:
    from community_plus.domains.identity.auth import Tokens


@strawberry.enum(description="Administrative level of a region.")
class RegionLevel(enum.Enum):
    PROVINCE = "province"
    CITY = "city"
    DISTRICT = "district"
    STREET = "street"
    COMMUNITY = "community"


@strawberry.enum
class Gender(enum.Enum):
    MALE = "male"
    FEMALE = "female"


@strawberry.enum(description="Priority groups a resident belongs to (重点人群).")
class ResidentTag(enum.Enum):
    ELDERLY = "elderly"
    CHILD = "child"
    DISABLED = "disabled"
    LOW_INCOME = "low_income"
    LEFT_BEHIND = "left_behind"
    VETERAN = "veteran"
    NEW_CITIZEN = "new_citizen"
    LIVING_ALONE = "living_alone"
    SPECIAL_CARE = "special_care"


@strawberry.enum
class Role(enum.Enum):
    PLATFORM_ADMIN = "platform_admin"
    REGION_ADMIN = "region_admin"
    COMMUNITY_ADMIN = "community_admin"
    GRID_WORKER = "grid_worker"
    HOTLINE_OPERATOR = "hotline_operator"
    DEPARTMENT_STAFF = "department_staff"
    RESIDENT = "resident"


# Role plus SYSTEM, the actor of automatic steps (auto-closing, reminders).
ActorRole = strawberry.enum(enum.Enum("ActorRole", {**{r.name: r.value for r in Role}, "SYSTEM": "system"}),
                            description="Who did something: a role, or the system itself (automatic steps).")


@strawberry.type(description="A province, city, district or street (or a community, seen as a region).")
class Region:
    id: strawberry.ID
    name: str
    level: RegionLevel
    code: str | None
    parent_id: strawberry.ID | None

    @classmethod
    def of(cls, d: dict[str, Any]) -> Region:
        return cls(id=d["_id"], name=d["name"], level=RegionLevel(d["level"]), code=d.get("code"),
                   parent_id=d.get("parentId"))


@strawberry.type(description="A community (社区/村): the unit residents belong to and modules are enabled for.")
class Community:
    id: strawberry.ID
    name: str
    code: str | None
    region_path: list[strawberry.ID] = strawberry.field(description="Ancestor region ids, province first.")
    location: JSON | None = strawberry.field(description="GeoJSON point of the community office.")

    @classmethod
    def of(cls, d: dict[str, Any]) -> Community:
        return cls(id=d["_id"], name=d["name"], code=d.get("code"), region_path=d.get("path", []),
                   location=d.get("location"))

    @strawberry.field(description="Street, district, city and province above this community.")
    async def ancestors(self, info: Ctx) -> list[Region]:
        docs = await info.context.loaders.by_id("regions").load_many(list(self.region_path))
        return [Region.of(d) for d in docs if d]

    @strawberry.field(description="Grids of the community that the viewer may see.")
    async def grids(self, info: Ctx) -> list[Grid]:
        loader = info.context.loaders.custom("grids_by_community", lambda: _grids_by_community(info.context))
        return [Grid.of(d) for d in await loader.load(self.id)]


def _grids_by_community(ctx: RequestContext):

    async def load(ids: list[str]) -> list[list[dict[str, Any]]]:
        docs = await ctx.platform.grids.of_communities(ids, ctx.scope.grid_filter())
        by: dict[str, list] = {i: [] for i in ids}
        for d in docs:
            by[d["communityId"]].append(d)
        return [by[i] for i in ids]

    return DataLoader(load_fn=load)


def _workers_by_grid(ctx: RequestContext):

    async def load(ids: list[str]) -> list[list[dict[str, Any]]]:
        docs = await ctx.platform.users.workers_of_grids(ids)
        by: dict[str, list] = {i: [] for i in ids}
        for d in docs:
            for g in d.get("gridIds", []):
                if g in by:
                    by[g].append(d)
        return [by[i] for i in ids]

    return DataLoader(load_fn=load)


def _resident_counts(ctx: RequestContext):

    async def load(keys: list[tuple[str, str]]) -> list[int]:  # (communityId, gridId)
        counts = await ctx.platform.residents.count_by_grid(keys)
        return [counts.get(grid_id, 0) for _, grid_id in keys]

    return DataLoader(load_fn=load)


@strawberry.type(description="A grid worker (网格员) looking after one or more grids.")
class GridWorker:
    id: strawberry.ID
    name: str
    phone: str | None = strawberry.field(description="Work phone, shown to residents of the grid.")

    @classmethod
    def of(cls, d: dict[str, Any]) -> GridWorker:
        return cls(id=d["_id"], name=d.get("displayName") or d.get("username", ""), phone=d.get("phone"))


@strawberry.type(description="A grid (网格): a small area of a community looked after by grid workers.")
class Grid:
    id: strawberry.ID
    name: str
    community_id: strawberry.ID
    boundary: JSON = strawberry.field(description="GeoJSON Polygon.")

    @classmethod
    def of(cls, d: dict[str, Any]) -> Grid:
        return cls(id=d["_id"], name=d["name"], community_id=d["communityId"], boundary=d["boundary"])

    @strawberry.field
    async def community(self, info: Ctx) -> Community:
        return Community.of(await info.context.loaders.by_id("regions").load(self.community_id))

    @strawberry.field
    async def workers(self, info: Ctx) -> list[GridWorker]:
        loader = info.context.loaders.custom("workers_by_grid", lambda: _workers_by_grid(info.context))
        return [GridWorker.of(d) for d in await loader.load(self.id)]

    @strawberry.field(description="Residents registered in this grid (visible to staff in scope).")
    async def resident_count(self, info: Ctx) -> int:
        info.context.scope.require()
        loader = info.context.loaders.custom("resident_counts", lambda: _resident_counts(info.context))
        return await loader.load((self.community_id, self.id))


@strawberry.type
class Address:
    building: str | None = None
    unit: str | None = None
    room: str | None = None
    detail: str | None = None


@strawberry.type(description="A resident (居民). Phone and ID number are masked unless revealed (audited).")
class Resident:
    id: strawberry.ID
    name: str
    gender: Gender | None
    birth_date: date | None
    registered: bool = strawberry.field(description="Holds local household registration (户籍).")
    tags: list[ResidentTag]
    household_id: strawberry.ID | None
    relation: str | None = strawberry.field(description="Relation to the householder: self, spouse, child…")
    address: Address | None
    community_id: strawberry.ID
    grid_id: strawberry.ID | None
    version: int
    created_at: datetime
    doc: strawberry.Private[dict[str, Any]]

    @classmethod
    def of(cls, d: dict[str, Any]) -> Resident:
        bd = d.get("birthDate")
        addr = d.get("address")
        return cls(
            id=d["_id"], name=d["name"], gender=Gender(d["gender"]) if d.get("gender") else None,
            birth_date=bd.date() if bd else None, registered=d.get("registered", True),
            tags=[ResidentTag(t) for t in d.get("tags", ())], household_id=d.get("householdId"),
            relation=d.get("relation"), address=Address(**addr) if addr else None,
            community_id=d["communityId"], grid_id=d.get("gridId"), version=d.get("version", 1),
            created_at=d["createdAt"], doc=d,
        )

    @strawberry.field
    def age(self) -> int | None:
        if not self.birth_date:
            return None
        today = date.today()
        b = self.birth_date
        return today.year - b.year - ((today.month, today.day) < (b.month, b.day))

    @strawberry.field(description="Masked (138****5678) unless reveal is true; a reveal is audited.")
    def phone(self, info: Ctx, reveal: bool = False) -> str | None:  # an awaitable when revealing
        if reveal:
            return ResidentService(info.context).reveal(self.doc, "phone")  # type: ignore[return-value]
        return self.doc.get("phoneMasked")

    @strawberry.field(description="Masked (3201**********1234) unless reveal is true; a reveal is audited.")
    def id_number(self, info: Ctx, reveal: bool = False) -> str | None:  # an awaitable when revealing
        if reveal:
            return ResidentService(info.context).reveal(self.doc, "idNumber")  # type: ignore[return-value]
        return self.doc.get("idNumberMasked")

    @strawberry.field
    def grid(self, info: Ctx) -> Grid | None:  # an awaitable unless primed (see prefetch)
        if not self.grid_id:
            return None
        return cached_or_load(info.context.loaders.by_id("grids"), self.grid_id, Grid.of)

    @strawberry.field
    async def community(self, info: Ctx) -> Community:
        return Community.of(await info.context.loaders.by_id("regions").load(self.community_id))

    @strawberry.field(description="Latest home visits, newest first (staff in scope; every read is audited).")
    async def visits(self, info: Ctx, first: int = 10) -> list[Visit]:
        return await resident_visits(info, self.id, first)


@strawberry.type(description="The logged-in principal.")
class Viewer:
    id: strawberry.ID
    name: str
    role: Role
    community_id: strawberry.ID | None
    region_id: strawberry.ID | None
    grid_ids: list[strawberry.ID]
    resident_id: strawberry.ID | None

    @strawberry.field
    async def community(self, info: Ctx) -> Community | None:
        cid = info.context.scope.community_id or self.community_id
        if not cid:
            return None
        d = await info.context.loaders.by_id("regions").load(cid)
        return Community.of(d) if d else None

    @strawberry.field
    async def grids(self, info: Ctx) -> list[Grid]:
        docs = await info.context.loaders.by_id("grids").load_many(list(self.grid_ids))
        return [Grid.of(d) for d in docs if d]

    @strawberry.field
    async def resident(self, info: Ctx) -> Resident | None:
        if not self.resident_id:
            return None
        d = await info.context.loaders.by_id("residents").load(self.resident_id)
        return Resident.of(d) if d else None


def viewer_of(principal) -> Viewer:
    return Viewer(id=principal.user_id, name=principal.display_name, role=Role(principal.role),
                  community_id=principal.community_id, region_id=principal.region_id,
                  grid_ids=list(principal.grid_ids), resident_id=principal.resident_id)


@strawberry.type
class AuthPayload:
    access_token: str
    refresh_token: str
    expires_in: int = strawberry.field(description="Seconds until the access token expires.")
    viewer: Viewer


def payload(t: Tokens) -> AuthPayload:
    return AuthPayload(access_token=t.access_token, refresh_token=t.refresh_token, expires_in=t.expires_in,
                       viewer=viewer_of(t.principal))


# -- home visits: a Visit names its resident and a Resident lists its visits, so both live here --

@strawberry.enum(description="Why a resident was visited.")
class VisitPurpose(enum.Enum):
    ROUTINE = "routine"
    CARE = "care"
    SAFETY = "safety"
    POLICY = "policy"
    DISPUTE = "dispute"
    OTHER = "other"


@strawberry.enum(description="The visit's location against the resident's grid boundary.")
class VisitLocationCheck(enum.Enum):
    IN_GRID = "in_grid"
    OUTSIDE_GRID = "outside_grid"
    NO_LOCATION = "no_location"
    NO_GRID = "no_grid"


@strawberry.type(description="A home visit (走访) to a resident.")
class Visit:
    id: strawberry.ID
    community_id: strawberry.ID
    grid_id: strawberry.ID | None
    resident_id: strawberry.ID
    worker_id: strawberry.ID
    worker_name: str
    purpose: VisitPurpose
    notes: str
    photo_ids: list[strawberry.ID] = strawberry.field(description="Files (media); read them with file(id).")
    longitude: float | None
    latitude: float | None
    location_check: VisitLocationCheck
    visited_at: datetime
    follow_up: bool
    work_order_id: strawberry.ID | None = strawberry.field(description="The follow-up work order, if any.")
    created_at: datetime

    @classmethod
    def of(cls, d: dict[str, Any]) -> Visit:
        coords = (d.get("location") or {}).get("coordinates") or (None, None)
        return cls(id=d["_id"], community_id=d["communityId"], grid_id=d.get("gridId"), resident_id=d["residentId"],
                   worker_id=d["workerId"], worker_name=d.get("workerName") or "", purpose=VisitPurpose(d["purpose"]),
                   notes=d.get("notes", ""), photo_ids=d.get("photos", []), longitude=coords[0], latitude=coords[1],
                   location_check=VisitLocationCheck(d["locationCheck"]), visited_at=d["visitedAt"],
                   follow_up=d.get("followUp", False), work_order_id=d.get("workOrderId"), created_at=d["createdAt"])

    @strawberry.field
    async def resident(self, info: Ctx) -> Resident | None:
        d = await info.context.loaders.by_id("residents").load(self.resident_id)
        return Resident.of(d) if d else None


async def resident_visits(info: Ctx, resident_id: str, first: int) -> list[Visit]:
    """`Resident.visits`: one aggregation for every resident of the response (a DataLoader)."""
    if not 1 <= first <= 20:
        raise BadUserInput({"first": "应在 1 到 20 之间 (between 1 and 20)"})

    def factory() -> DataLoader:
        async def load(ids: list[str]) -> list[list[dict[str, Any]]]:
            found = await VisitService(info.context).history(ids, first)
            return [found.get(i, []) for i in ids]

        return DataLoader(load_fn=load)

    loader = info.context.loaders.custom(f"resident_visits:{first}", factory)
    return [Visit.of(d) for d in await loader.load(resident_id)]
