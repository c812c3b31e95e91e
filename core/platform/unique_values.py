"""Values unique across the whole platform, held by documents of sharded collections.

A unique index of a sharded collection must start with the shard key (`communityId`), so a
rule such as "an ID number is registered once in the province" cannot be an index of
`residents`. Such a value is claimed here instead: one row `{_id: "<kind>:<value>", owner}`
per value in `unique_values`, an unsharded collection whose `_id` is the constraint. The
claim is written with the document (in its transaction where there is one); claiming a value
its owner already holds is a no-op, so a retried write claims nothing twice.
"""

from __future__ import annotations

from typing import Any

from pymongo import DeleteOne
from pymongo.errors import BulkWriteError, DuplicateKeyError

from community_plus.platform.db import DUPLICATE_KEY
from community_plus.platform.repository import Repository


def _key(kind: str, value: str) -> str:
    return f"{kind}:{value}"


class UniqueValueRepository(Repository):
    collection = "unique_values"

    async def claim(self, kind: str, value: str, owner: str, session: Any = None) -> bool:
        """Claim `value` for `owner`; False when another owner holds it. Inside a transaction
        the row is read first (a duplicate-key error would abort the transaction)."""
        key = _key(kind, value)
        if session is not None and session.in_transaction:
            found = await self.coll.find_one({"_id": key}, session=session)
            if found is not None:
                return found["owner"] == owner
        try:
            await self.coll.insert_one({"_id": key, "kind": kind, "owner": owner}, session=session)
            return True
        except DuplicateKeyError:
            if session is not None and session.in_transaction:
                raise  # claimed concurrently: the transaction is aborted, the caller's retry reads it
            found = await self.coll.find_one({"_id": key})
            return found is not None and found["owner"] == owner

    async def claim_many(self, kind: str, claims: list[tuple[str, str]]) -> set[tuple[str, str]]:
        """Claim each `(value, owner)`; the claims refused because another owner holds the value
        (it stays theirs; of two owners claiming one value in `claims`, the first wins)."""
        if not claims:
            return set()
        try:
            await self.coll.insert_many([{"_id": _key(kind, v), "kind": kind, "owner": o} for v, o in claims],
                                        ordered=False)
            return set()
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if any(e.get("code") != DUPLICATE_KEY for e in errors):
                raise
            clashing = [claims[e["index"]] for e in errors]
            held = {d["_id"]: d["owner"] async for d in self.coll.find(
                {"_id": {"$in": [_key(kind, v) for v, _ in clashing]}})}
            return {(v, o) for v, o in clashing if held.get(_key(kind, v)) != o}

    async def release(self, kind: str, values: list[str], owner: str, session: Any = None) -> None:
        """Give up the values `owner` holds (a value held by someone else stays theirs)."""
        await self.release_claims(kind, [(v, owner) for v in values], session)

    async def release_claims(self, kind: str, claims: list[tuple[str, str]], session: Any = None) -> None:
        """Give up each `(value, owner)` claim (a value held by someone else stays theirs)."""
        if claims:
            await self.coll.bulk_write([DeleteOne({"_id": _key(kind, v), "owner": o}) for v, o in claims],
                                       ordered=False, session=session)
