"""The plugin platform's own records: module decisions and settings per region, the version
stamp every worker polls, the module versions migrated to, the migration locks, and the
modules' physical collections (created with their validators at start-up)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import ASCENDING, IndexModel, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import CollectionInvalid, DuplicateKeyError

from community_plus.platform.repository import Repository

STAMP_ID = "modules_stamp"


class ModuleSettingsRepository(Repository):
    """One row per (region, module) that decides for itself: `enabled` and its own settings."""

    collection = "module_settings"
    indexes = [IndexModel([("regionId", ASCENDING), ("module", ASCENDING)], unique=True),
               IndexModel([("module", ASCENDING), ("regionPath", ASCENDING)])]

    async def of_regions(self, region_ids: list[str], module: str | None = None) -> list[dict[str, Any]]:
        """The decisions taken at these regions (of every module, or of `module`)."""
        query: dict[str, Any] = {"regionId": {"$in": region_ids}}
        if module is not None:
            query["module"] = module
        return await self.coll.find(query).to_list()

    async def below(self, region_id: str, module: str) -> list[dict[str, Any]]:
        """The decisions about `module` taken in `region_id`'s subtree."""
        return await self.coll.find({"module": module, "regionPath": region_id}).to_list()

    async def decide(self, region: dict[str, Any], module: str, changes: dict[str, Any], actor: str | None,
                     session=None) -> None:
        """Set `changes` on the region's row of `module`, creating the row on first use."""
        await self.coll.find_one_and_update(
            {"regionId": region["_id"], "module": module},
            {"$set": {**changes, "updatedAt": datetime.now(UTC), "updatedBy": actor},
             "$setOnInsert": {"_id": f"{region['_id']}:{module}", "regionPath": region.get("path", []),
                              "level": region["level"]}},
            upsert=True, return_document=ReturnDocument.AFTER, session=session)


    async def forget(self, module: str) -> int:
        """Delete every region's decision about `module` (its uninstall); how many there were."""
        return (await self.coll.delete_many({"module": module})).deleted_count


class ModuleStampRepository(Repository):
    """The version stamp of module state in `meta`: bumped by every change, polled by workers."""

    collection = "meta"

    async def bump(self) -> int:
        doc = await self.coll.find_one_and_update({"_id": STAMP_ID}, {"$inc": {"version": 1}}, upsert=True,
                                                  return_document=ReturnDocument.AFTER)
        return doc["version"]

    async def version(self) -> int:
        doc = await self.coll.find_one({"_id": STAMP_ID})
        return doc["version"] if doc else 0


class ModuleVersionRepository(Repository):
    """The version each module last migrated to, with its history."""

    collection = "module_versions"

    async def record(self, name: str, target: str, current: dict[str, Any] | None) -> None:
        await self.coll.update_one({"_id": name}, {"$set": {
            "version": target, "migratedAt": datetime.now(UTC),
            "history": (current or {}).get("history", []) + [{"from": (current or {}).get("version"), "to": target}]}},
            upsert=True)


    async def forget(self, name: str) -> None:
        """The module is uninstalled: a later install migrates from nothing again."""
        await self.coll.delete_one({"_id": name})


class LockRepository(Repository):
    """Leases in `locks`: one owner at a time, taken over when expired."""

    collection = "locks"

    async def take(self, key: str, owner: str, ttl: timedelta) -> bool:
        """True when `owner` now holds `key` (created, or an expired or own lease taken over)."""
        now = datetime.now(UTC)
        try:
            await self.coll.find_one_and_update(
                {"_id": key, "$or": [{"until": {"$lt": now}}, {"owner": owner}]},
                {"$set": {"owner": owner, "until": now + ttl}}, upsert=True)
        except DuplicateKeyError:
            return False  # the lock exists and someone else holds it
        return True

    async def release(self, key: str, owner: str) -> None:
        await self.coll.delete_one({"_id": key, "owner": owner})


class ModuleCollections:
    """The database's collections, as the modules' collections are created from it."""

    def __init__(self, db: AsyncDatabase) -> None:
        self.db = db

    async def names(self) -> set[str]:
        return set(await self.db.list_collection_names())

    async def create(self, name: str, validator: dict[str, Any] | None) -> None:
        """Create `name` (with its `$jsonSchema` validator); one created meanwhile is kept."""
        try:
            await self.db.create_collection(name, **({"validator": {"$jsonSchema": validator}} if validator else {}))
        except CollectionInvalid:
            pass

    async def counts(self, prefix: str) -> dict[str, int]:
        """The collections named `prefix…` (a module's), each with its row count."""
        names = sorted(n for n in await self.names() if n.startswith(prefix))
        return {n: await self.db[n].estimated_document_count() for n in names}

    async def drop(self, name: str) -> None:
        await self.db.drop_collection(name)

    async def set_validator(self, name: str, validator: dict[str, Any]) -> None:
        """Replace the validator of an existing collection (OperationFailure when refused)."""
        await self.db.command("collMod", name, validator={"$jsonSchema": validator})
