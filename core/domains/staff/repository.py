"""Queries on staff accounts (`users`), one-time password-reset codes and login failures."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from pymongo import ASCENDING, IndexModel, ReturnDocument

from community_plus.platform.access import STAFF_ROLES as ROLES
from community_plus.platform.repository import Page, Repository
from community_plus.platform import stamps
from community_plus.domains.parts import platform_part

if TYPE_CHECKING:
    from community_plus.domains.platform import Platform

STAFF_ROLES = list(ROLES)


class StaffRepository(Repository):
    """Staff rows of `users` (the core `UserRepository` owns the username index)."""

    collection = "users"
    indexes = [
        IndexModel([("role", ASCENDING), ("_id", ASCENDING)]),
        IndexModel([("regionId", ASCENDING), ("_id", ASCENDING)]),
        IndexModel([("communityId", ASCENDING), ("_id", ASCENDING)]),
    ]

    async def page_in(self, scope_filter: dict[str, Any], first: int, after: str | None) -> Page:
        return await self.page({"$and": [{"role": {"$in": STAFF_ROLES}}, scope_filter]}, first, after,
                               projection={"passwordHash": 0, "totpSecret": 0, "totpPending": 0})

    async def set_fields(self, user_id: str, values: dict[str, Any], unset: list[str] | None = None) -> dict[str, Any] | None:
        update: dict[str, Any] = {"$set": values}
        if unset:
            update["$unset"] = {k: "" for k in unset}
        return await self.coll.find_one_and_update({"_id": user_id}, update, return_document=ReturnDocument.AFTER)

    async def replace_scope(self, user_id: str, values: dict[str, Any], unset: list[str],
                            session=None) -> dict[str, Any] | None:
        update: dict[str, Any] = {"$set": values}
        if unset:
            update["$unset"] = {k: "" for k in unset}
        return await self.coll.find_one_and_update({"_id": user_id}, update, return_document=ReturnDocument.AFTER,
                                                   session=session)

    async def record_failure(self, user_id: str, now: datetime) -> dict[str, Any] | None:
        """Count one wrong password atomically; the updated document."""
        return await self.coll.find_one_and_update(
            {"_id": user_id}, {"$inc": {"loginFailures": 1}, "$set": {"lastFailureAt": now}},
            return_document=ReturnDocument.AFTER)

    async def lock(self, user_id: str, until: datetime) -> None:
        await self.coll.update_one({"_id": user_id}, {"$set": {"lockedUntil": until}})

    async def clear_failures(self, user_id: str) -> None:
        await self.coll.update_one({"_id": user_id}, {"$set": {"loginFailures": 0},
                                                      "$unset": {"lockedUntil": "", "lastFailureAt": ""}})


class SessionsOfUser(Repository):
    """Ends every session of an account (disabling it, resetting its password)."""

    collection = "sessions"
    indexes = [IndexModel([("userId", ASCENDING), ("revoked", ASCENDING)])]

    async def active_ids(self, user_id: str) -> list[str]:
        return [d["_id"] async for d in self.coll.find({"userId": user_id, "revoked": False}, {"_id": 1})]

    async def revoke_all(self, user_id: str) -> list[str]:
        ids = await self.active_ids(user_id)
        if ids:
            await self.coll.update_many({"_id": {"$in": ids}}, {"$set": {"revoked": True}})
        return ids


class PasswordResetRepository(Repository):
    """One-time reset codes, stored hashed; expired ones vanish (TTL index)."""

    collection = "staff_password_resets"
    indexes = [
        IndexModel([("codeHash", ASCENDING)], unique=True),
        IndexModel([("userId", ASCENDING)]),
        IndexModel([("expiresAt", ASCENDING)], expireAfterSeconds=0),
    ]

    async def replace_for(self, doc: dict[str, Any]) -> None:
        """A new code voids the account's earlier ones."""
        await self.coll.delete_many({"userId": doc["userId"]})
        await stamps.insert(self.coll, doc)

    async def consume(self, code_hash: str, now: datetime) -> dict[str, Any] | None:
        """Take a live code exactly once (the delete is the single-use guarantee)."""
        return await self.coll.find_one_and_delete({"codeHash": code_hash, "expiresAt": {"$gt": now}})


class StaffRepositories:
    """The staff domain's repositories, created once per platform (`platform.parts`)."""

    KEY = "staff_repositories"

    def __init__(self, platform: Platform) -> None:
        self.staff = StaffRepository(platform.db)
        self.sessions = SessionsOfUser(platform.db)
        self.resets = PasswordResetRepository(platform.db)
        self.regions = RegionTree(platform.db)
        self.grids = GridWorkers(platform.db)

    @classmethod
    async def of(cls, platform: Platform) -> StaffRepositories:
        return await platform_part(platform, cls.KEY, cls, lambda r: [r.staff, r.sessions, r.resets])

class GridWorkers(Repository):
    """The `workerIds` of grids (a grid worker moved between grids)."""

    collection = "grids"

    async def reassign(self, user_id: str, old: list[str], new: list[str], session=None) -> None:
        if old:
            await self.coll.update_many({"_id": {"$in": old}}, {"$pull": {"workerIds": user_id}}, session=session)
        if new:
            await self.coll.update_many({"_id": {"$in": new}}, {"$addToSet": {"workerIds": user_id}}, session=session)


class RegionTree(Repository):
    """Region ids below a region (the `path` index of `regions`)."""

    collection = "regions"

    async def ids_under(self, region_id: str) -> list[str]:
        return [d["_id"] async for d in self.coll.find({"path": region_id}, {"_id": 1})]
