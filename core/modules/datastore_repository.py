"""The module datastore: the repositories of modules' collections. `CommunityCollection` is
what `ctx.collection(name)` returns (every operation narrowed to the current community, joined
to the context's transaction), `AllCommunities` what `ctx.unscoped_collection(name)` returns
to migrations. Filters and pipelines are checked by `datastore.py` first; sealed fields are
sealed, looked up and masked through `sealing.py`; inserts are exactly-once (`stamps`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from community_plus_sdk.context import ScopedCollection
from community_plus_sdk.errors import ConflictError

from community_plus.platform import stamps
from community_plus.platform.errors import BadUserInput, Forbidden
from community_plus.platform.repository import merge_clauses, new_id
from community_plus.platform.stamps import insert_once
from community_plus.modules.datastore import check_filter, check_pipeline, physical_name
from community_plus.modules.sealing import Sealer

LOCK_FIELD = "_refLock"  # written by `touch`, never read


class CommunityCollection(ScopedCollection):
    """A module collection seen from one community; `session` joins a transaction; `sealer`
    seals, finds and masks its sealed fields (see `sealing`)."""

    def __init__(self, coll: AsyncCollection, community_id: str, owner_module: str, session=None,
                 sealer: Sealer | None = None) -> None:
        self.coll = coll
        self.community_id = community_id
        self.owner_module = owner_module
        self.session = session
        self.sealer = sealer

    @classmethod
    def of(cls, db: AsyncDatabase, module: str, name: str, community_id: str, session=None,
           sealer: Sealer | None = None) -> CommunityCollection:
        """`module`'s collection `name` seen from `community_id`."""
        return cls(db[physical_name(module, name)], community_id, module, session=session, sealer=sealer)

    def _scope(self, filter: dict[str, Any] | None) -> dict[str, Any]:
        check_filter(filter or {})
        if not filter:
            return {"communityId": self.community_id}
        if self.sealer:
            filter = self.sealer.rewrite(filter)
        return merge_clauses(filter, {"communityId": self.community_id})  # flat: index-plannable

    def _out(self, doc: dict[str, Any] | None) -> dict[str, Any] | None:
        return self.sealer.public(doc) if self.sealer else doc

    async def find(self, filter=None, *, sort=None, limit: int = 100) -> list[dict[str, Any]]:
        cursor = self.coll.find(self._scope(filter), session=self.session).limit(max(1, min(limit, 1000)))
        if sort:
            cursor = cursor.sort(sort)
        rows = await cursor.to_list()
        return [self._out(r) for r in rows] if self.sealer else rows

    async def find_one(self, filter: dict[str, Any]) -> dict[str, Any] | None:
        return self._out(await self.coll.find_one(self._scope(filter), session=self.session))

    async def reveal(self, row_id: str, field: str) -> tuple[dict[str, Any], str | None] | None:
        """(the row as modules see it, the field's full value), or None when there is no such row."""
        if not self.sealer or field not in self.sealer.labels:
            raise Forbidden(f"{field} 不是加密字段 ({field} is not a sealed field of this collection)")
        doc = await self.coll.find_one(self._scope({"_id": row_id}), session=self.session)
        if doc is None:
            return None
        return self.sealer.public(doc), self.sealer.open(doc, field)

    async def count(self, filter=None) -> int:
        return await self.coll.count_documents(self._scope(filter), session=self.session)

    async def insert(self, row: dict[str, Any]) -> dict[str, Any]:
        now = datetime.now(UTC)
        if self.sealer:
            row = self.sealer.seal(row)
        doc = {"_id": new_id(), "createdAt": now, "updatedAt": now, "version": 1, **row,
               "communityId": self.community_id}
        try:
            doc = await insert_once(self.coll, doc, self.session)
        except DuplicateKeyError as exc:
            raise ConflictError("记录已存在 (a row with the same unique key exists)") from exc
        return self._out(doc)

    async def update(self, filter, changes, *, expect=None, inc=None) -> dict[str, Any] | None:
        query = self._scope({**filter, **(expect or {})})
        if "communityId" in changes:
            raise BadUserInput({"communityId": "modules cannot move rows between communities"})
        if self.sealer:
            changes = self.sealer.seal(changes)
        update: dict[str, Any] = {"$set": {**changes, "updatedAt": datetime.now(UTC)}, "$inc": {"version": 1, **(inc or {})}}
        return self._out(await self.coll.find_one_and_update(query, update, return_document=ReturnDocument.AFTER,
                                                             session=self.session))

    async def delete(self, filter: dict[str, Any]) -> bool:
        result = await self.coll.delete_one(self._scope(filter), session=self.session)
        return result.deleted_count == 1

    async def update_many(self, filter: dict[str, Any], changes: dict[str, Any]) -> int:
        """Set `changes` on every matching row (version bumped); how many changed."""
        if self.sealer:
            changes = self.sealer.seal(changes)
        update = {"$set": {**changes, "updatedAt": datetime.now(UTC)}, "$inc": {"version": 1}}
        return (await self.coll.update_many(self._scope(filter), update, session=self.session)).modified_count

    async def touch(self, filter: dict[str, Any]) -> bool:
        """Write to the one row matching `filter` without changing what it holds (a counter
        that is never read): inside a transaction this makes any concurrent write of that row
        — its delete above all — conflict with ours, so a reference checked here cannot be
        left dangling. False when no such row exists in the community."""
        result = await self.coll.update_one(self._scope(filter), {"$inc": {LOCK_FIELD: 1}}, session=self.session)
        return result.matched_count == 1

    async def aggregate(self, pipeline: list[dict[str, Any]]) -> list[dict[str, Any]]:
        check_pipeline(pipeline)
        full = [{"$match": {"communityId": self.community_id}}, *pipeline]
        return await (await self.coll.aggregate(full, session=self.session)).to_list()


class AllCommunities:
    """A module collection across communities, for migrations (filters checked and sealed
    fields handled like scoped ones)."""

    def __init__(self, coll: AsyncCollection, sealer: Sealer | None = None) -> None:
        self.coll = coll
        self.sealer = sealer

    @classmethod
    def of(cls, db: AsyncDatabase, module: str, name: str, sealer: Sealer | None = None) -> AllCommunities:
        return cls(db[physical_name(module, name)], sealer)

    def _filter(self, filter: dict[str, Any] | None) -> dict[str, Any]:
        check_filter(filter)
        return self.sealer.rewrite(filter or {}) if self.sealer else (filter or {})

    async def find(self, filter: dict[str, Any] | None = None, limit: int = 1000) -> list[dict[str, Any]]:
        rows = await self.coll.find(self._filter(filter)).limit(limit).to_list()
        return [self.sealer.public(r) for r in rows] if self.sealer else rows

    async def count(self, filter: dict[str, Any] | None = None) -> int:
        return await self.coll.count_documents(self._filter(filter))

    async def insert(self, row: dict[str, Any]) -> dict[str, Any]:
        doc = {"_id": new_id(), **(self.sealer.seal(row) if self.sealer else row)}
        await stamps.insert(self.coll, doc)
        return self.sealer.public(doc) if self.sealer else doc

    async def update_many(self, filter: dict[str, Any], changes: dict[str, Any]) -> int:
        changes = self.sealer.seal(changes) if self.sealer else changes
        return (await self.coll.update_many(self._filter(filter), {"$set": changes})).modified_count

    async def seal_existing(self, batch: int = 500) -> int:
        """Encrypt the numbers rows stored in plaintext before their field was sealed; returns
        how many were sealed (0 when the collection has no sealed field). Idempotent."""
        sealed = 0
        for field in self.sealer.labels if self.sealer else ():
            query = self.sealer.plaintext_query(field)
            while rows := await self.coll.find(query, {field: 1}).limit(batch).to_list():
                for row in rows:
                    result = await self.coll.update_one(
                        {"_id": row["_id"], field: row[field], f"{field}Sealed": {"$exists": False}},
                        {"$set": self.sealer.sealing_changes(field, row[field])})
                    sealed += result.modified_count
        return sealed
