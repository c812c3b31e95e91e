"""What demo seeding reads and writes beside the domains' own repositories: it re-runs
idempotently (rows it made carry `seedKey` / `seeded`), so it asks which exist first. Inserts go
through `platform.stamps` like every other insert."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from community_plus.domains.work_orders.repository import parties
from community_plus.platform import stamps


class DemoRepository:
    def __init__(self, db: AsyncDatabase) -> None:
        self.db = db

    async def seed_keys(self, community_id: str) -> set[str]:
        """The `seedKey`s of the residents already seeded in the community."""
        return set(await self.db["residents"].distinct("seedKey", {"communityId": community_id}))

    async def household_heads(self, community_id: str) -> list[dict[str, Any]]:
        return await self.db["residents"].find({"communityId": community_id, "relation": "self"},
                                               {"householdKey": 1, "householdId": 1}).to_list()

    async def residents_for_orders(self, community_id: str, limit: int = 300) -> list[dict[str, Any]]:
        """Heads of household to file demo orders for."""
        return await self.db["residents"].find({"communityId": community_id, "relation": "self"},
                                               {"tags": 1, "gridId": 1, "regionPath": 1}).limit(limit).to_list()

    async def ensure_service_item(self, item: dict[str, Any], now: datetime) -> None:
        """The item and its first form version, unless they exist."""
        await self.db["service_items"].update_one({"_id": item["_id"]}, {"$setOnInsert": item}, upsert=True)
        await self.db["service_forms"].update_one(
            {"_id": f"{item['_id']}:1"}, {"$setOnInsert": {"itemId": item["_id"], "version": 1, "schema": item["form"],
                                                          "createdAt": now}}, upsert=True)

    async def has_seeded_orders(self, community_id: str) -> bool:
        return bool(await self.db["work_orders"].count_documents({"communityId": community_id, "seeded": True},
                                                                 limit=1))

    async def insert_orders(self, docs: list[dict[str, Any]]) -> None:
        for doc in docs:
            doc["parties"] = parties(doc)
        await stamps.insert_all(self.db["work_orders"], docs, ordered=True)
