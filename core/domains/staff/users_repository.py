"""Staff accounts (and later resident principals): username, argon2 hash, role and scope."""

from __future__ import annotations

from typing import Any

from pymongo import ASCENDING, IndexModel

from community_plus.platform.repository import Repository
from community_plus.platform import stamps


class UserRepository(Repository):
    collection = "users"
    indexes = [
        IndexModel([("username", ASCENDING)], unique=True, sparse=True),
        IndexModel([("communityId", ASCENDING), ("role", ASCENDING), ("_id", ASCENDING)]),
        IndexModel([("gridIds", ASCENDING)]),
        IndexModel([("gridIds", ASCENDING), ("role", ASCENDING)]),  # a grid's workers
        IndexModel([("regionId", ASCENDING)]),
    ]

    async def by_username(self, username: str) -> dict[str, Any] | None:
        return await self.coll.find_one({"username": username})

    async def insert(self, doc: dict[str, Any]) -> None:
        await stamps.insert(self.coll, doc)

    async def workers_of_grids(self, grid_ids: list[str]) -> list[dict[str, Any]]:
        return await self.coll.find({"gridIds": {"$in": grid_ids}, "role": "grid_worker"}).to_list()

    async def set_password(self, user_id: str, password_hash: str) -> None:
        await self.coll.update_one({"_id": user_id}, {"$set": {"passwordHash": password_hash}})
