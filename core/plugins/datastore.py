"""Scoped data access for modules: a module reaches only its own collections
(`<module>__<name>`), and every operation is narrowed to the current community."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from community_plus_sdk.context import ScopedCollection
from community_plus_sdk.errors import ConflictError

from ..errors import BadUserInput, Forbidden
from ..repositories.base import new_id

FORBIDDEN_STAGES = {"$out", "$merge", "$unionWith", "$lookup", "$graphLookup", "$documents", "$changeStream",
                    "$collStats", "$indexStats", "$currentOp", "$listSessions"}
FORBIDDEN_OPERATORS = {"$where", "$function", "$accumulator"}


def physical_name(module: str, name: str) -> str:
    return f"{module}__{name}"


def _check_operators(value: Any) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            if k in FORBIDDEN_OPERATORS:
                raise Forbidden(f"operator {k} is not available to modules")
            _check_operators(v)
    elif isinstance(value, list):
        for v in value:
            _check_operators(v)


class CommunityCollection(ScopedCollection):
    """A module collection seen from one community; `session` joins a transaction."""

    def __init__(self, coll: AsyncCollection, community_id: str, owner_module: str, session=None) -> None:
        self.coll = coll
        self.community_id = community_id
        self.owner_module = owner_module
        self.session = session

    def _scope(self, filter: dict[str, Any] | None) -> dict[str, Any]:
        _check_operators(filter or {})
        if not filter:
            return {"communityId": self.community_id}
        return {"$and": [filter, {"communityId": self.community_id}]}

    async def find(self, filter=None, *, sort=None, limit: int = 100) -> list[dict[str, Any]]:
        cursor = self.coll.find(self._scope(filter), session=self.session).limit(max(1, min(limit, 1000)))
        if sort:
            cursor = cursor.sort(sort)
        return await cursor.to_list()

    async def find_one(self, filter: dict[str, Any]) -> dict[str, Any] | None:
        return await self.coll.find_one(self._scope(filter), session=self.session)

    async def count(self, filter=None) -> int:
        return await self.coll.count_documents(self._scope(filter), session=self.session)

    async def insert(self, row: dict[str, Any]) -> dict[str, Any]:
        now = datetime.now(UTC)
        doc = {"_id": new_id(), "createdAt": now, "updatedAt": now, "version": 1, **row,
               "communityId": self.community_id}
        try:
            await self.coll.insert_one(doc, session=self.session)
        except DuplicateKeyError as exc:
            raise ConflictError("记录已存在 (a row with the same unique key exists)") from exc
        return doc

    async def update(self, filter, changes, *, expect=None, inc=None) -> dict[str, Any] | None:
        query = self._scope({**filter, **(expect or {})})
        if "communityId" in changes:
            raise BadUserInput({"communityId": "modules cannot move rows between communities"})
        update: dict[str, Any] = {"$set": {**changes, "updatedAt": datetime.now(UTC)}, "$inc": {"version": 1, **(inc or {})}}
        return await self.coll.find_one_and_update(query, update, return_document=ReturnDocument.AFTER,
                                                   session=self.session)

    async def delete(self, filter: dict[str, Any]) -> bool:
        result = await self.coll.delete_one(self._scope(filter), session=self.session)
        return result.deleted_count == 1

    async def aggregate(self, pipeline: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for stage in pipeline:
            bad = set(stage) & FORBIDDEN_STAGES
            if bad:
                raise Forbidden(f"aggregation stage {bad.pop()} is not available to modules "
                                "(they read only their own collections)")
        _check_operators(pipeline)
        full = [{"$match": {"communityId": self.community_id}}, *pipeline]
        return await (await self.coll.aggregate(full, session=self.session)).to_list()
