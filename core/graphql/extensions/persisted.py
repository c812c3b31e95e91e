"""Automatic persisted queries (the sha256 protocol of Apollo and other GraphQL clients),
stored in MongoDB so every worker shares them, with an in-process cache of hot hashes.

A client sends `extensions.persistedQuery = {version: 1, sha256Hash}` without the query; an
unknown hash answers PERSISTED_QUERY_NOT_FOUND and the client retries with the query, which
is then stored. In strict mode (`CP_PERSISTED_QUERIES_ONLY=true`, for prod) only operations
registered by an operator (`community-plus queries register FILE…`) run at all.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import AsyncIterator
from datetime import UTC, datetime

from graphql import GraphQLError, GraphQLSyntaxError, OperationDefinitionNode, parse
from pymongo import ASCENDING, IndexModel
from pymongo.errors import DuplicateKeyError

from community_plus.platform.repository import Repository
from community_plus.platform import stamps

CACHE_SIZE = 2048


class PersistedQueryRepository(Repository):
    collection = "persisted_queries"
    indexes = [IndexModel([("registered", ASCENDING)])]

    async def registered_queries(self) -> AsyncIterator[str]:
        """The text of every operation an operator registered."""
        async for doc in self.coll.find({"registered": True}, {"query": 1}):
            yield doc["query"]

    async def add(self, digest: str, query: str, registered: bool) -> None:
        """Store `query` under its hash; storing it again only ever sets `registered`."""
        try:
            await stamps.insert(self.coll, {"_id": digest, "query": query, "registered": registered,
                                            "createdAt": datetime.now(UTC)})
        except DuplicateKeyError:
            if registered:
                await self.coll.update_one({"_id": digest}, {"$set": {"registered": True}})


def sha256(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()


def operation_names(query: str) -> set[str]:
    """The names of a document's operations (none when it does not parse)."""
    try:
        document = parse(query)
    except GraphQLSyntaxError:
        return set()
    return {d.name.value for d in document.definitions if isinstance(d, OperationDefinitionNode) and d.name}


def _error(message: str, code: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code})


class PersistedQueries:
    def __init__(self, repo: PersistedQueryRepository, strict: bool) -> None:
        self.repo = repo
        self.strict = strict
        self._cache: OrderedDict[str, tuple[str, bool]] = OrderedDict()
        self.registered_names: set[str] = set()  # operations an operator registered: metric labels

    async def load_registered_names(self) -> set[str]:
        """Read the names of every registered operation (once at start-up; the set is shared)."""
        async for query in self.repo.registered_queries():
            self.registered_names |= operation_names(query)
        return self.registered_names

    async def _lookup(self, digest: str) -> tuple[str, bool] | None:
        hit = self._cache.get(digest)
        if hit is not None:
            self._cache.move_to_end(digest)
            return hit
        doc = await self.repo.get(digest)
        if doc is None:
            return None
        return self._remember(digest, doc["query"], doc.get("registered", False))

    def _remember(self, digest: str, query: str, registered: bool) -> tuple[str, bool]:
        if registered:
            self.registered_names |= operation_names(query)
        self._cache[digest] = (query, registered)
        if len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return query, registered

    async def store(self, query: str, registered: bool = False) -> str:
        digest = sha256(query)
        await self.repo.add(digest, query, registered)
        if registered:
            self.registered_names |= operation_names(query)
        self._cache.pop(digest, None)
        return digest

    async def apply(self, request_data) -> GraphQLError | None:
        """Fill in the query of a persisted-query request; an error to answer with, or None."""
        pq = (request_data.extensions or {}).get("persistedQuery")
        if not isinstance(pq, dict):
            if self.strict:
                return _error("只接受已登记的查询 (this server runs registered operations only: send "
                              "extensions.persistedQuery with the operation's sha256Hash)", "FORBIDDEN")
            return None
        digest = pq.get("sha256Hash")
        if pq.get("version") != 1 or not isinstance(digest, str) or len(digest) != 64:
            return _error("persistedQuery needs version 1 and a sha256Hash", "BAD_USER_INPUT")
        if request_data.query:
            if sha256(request_data.query) != digest:
                return _error("provided sha256Hash does not match the query", "BAD_USER_INPUT")
            if self.strict:
                found = await self._lookup(digest)
                if found is None or not found[1]:
                    return _error("未登记的查询 (operation not registered on this server)", "FORBIDDEN")
                return None
            await self.store(request_data.query)
            return None
        found = await self._lookup(digest)
        if found is None or (self.strict and not found[1]):
            return _error("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND")
        request_data.query = found[0]
        return None
