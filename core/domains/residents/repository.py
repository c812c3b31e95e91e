"""Residents. ID numbers and phones are sealed (AES-GCM) with blind indexes for lookups;
masked forms are stored alongside so ordinary reads never decrypt anything."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

from pymongo import ASCENDING, IndexModel, ReturnDocument, UpdateOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError

from community_plus.platform.security.pii import Keyring
from community_plus.platform.validation import mask_id_number, mask_phone
from community_plus.platform import stamps
from community_plus.platform.stamps import insert_once
from community_plus.platform.repository import Repository, in_batches, scoped
from community_plus.platform.db import DUPLICATE_KEY
from community_plus.platform.unique_values import UniqueValueRepository

SENSITIVE = ("phone", "idNumber")
ID_NUMBER = "idNumber"  # the kind of its claims in `unique_values`
TAKEN = "该身份证号已登记 (a resident with this ID number already exists)"


class ResidentRepository(Repository):
    collection = "residents"
    indexes = [
        IndexModel([("communityId", ASCENDING), ("_id", ASCENDING)]),
        IndexModel([("regionPath", ASCENDING), ("_id", ASCENDING)]),
        IndexModel([("communityId", ASCENDING), ("gridId", ASCENDING), ("_id", ASCENDING)]),
        IndexModel([("communityId", ASCENDING), ("tags", ASCENDING), ("_id", ASCENDING)]),
        IndexModel([("communityId", ASCENDING), ("name", ASCENDING)]),
        # The console's and the grid worker's searches (ResidentService.list_filter: one flat
        # filter of equalities and at most one range, the name prefix or the page cursor).
        IndexModel([("communityId", ASCENDING), ("gridId", ASCENDING), ("tags", ASCENDING), ("_id", ASCENDING)]),
        IndexModel([("communityId", ASCENDING), ("gridId", ASCENDING), ("name", ASCENDING)]),
        IndexModel([("communityId", ASCENDING), ("tags", ASCENDING), ("name", ASCENDING)]),
        IndexModel([("communityId", ASCENDING), ("registered", ASCENDING), ("_id", ASCENDING)]),
        IndexModel([("regionPath", ASCENDING), ("name", ASCENDING)]),
        IndexModel([("communityId", ASCENDING), ("birthDate", ASCENDING)]),
        # lookups only: uniqueness across the platform is `unique_values` (platform/unique_values.py)
        IndexModel([("idNumberHash", ASCENDING)], sparse=True, name="idNumberHash_lookup"),
        IndexModel([("phoneHash", ASCENDING)]),
        IndexModel([("householdId", ASCENDING)]),
        IndexModel([("communityId", ASCENDING), ("householdId", ASCENDING)]),
        stamps.INDEX,
        IndexModel([("pii.k", ASCENDING)]),
        IndexModel([("communityId", ASCENDING), ("seedKey", ASCENDING)], sparse=True),
        IndexModel([("communityId", ASCENDING), ("relation", ASCENDING)]),
    ]

    def __init__(self, db: AsyncDatabase, keyring: Keyring) -> None:
        super().__init__(db)
        self.keyring = keyring
        self.unique = UniqueValueRepository(db)

    def seal(self, values: dict[str, Any]) -> dict[str, Any]:
        """Turn plaintext `phone`/`idNumber` into sealed values, blind indexes and masks."""
        out = {k: v for k, v in values.items() if k not in SENSITIVE}
        for field in SENSITIVE:
            if field in values:
                plain = values[field]
                if plain:
                    out[f"{field}Sealed"] = self.keyring.seal(plain, field)
                    out[f"{field}Hash"] = self.keyring.blind_index(plain, field)
                    out[f"{field}Masked"] = mask_phone(plain) if field == "phone" else mask_id_number(plain)
                else:
                    out[f"{field}Sealed"] = out[f"{field}Hash"] = out[f"{field}Masked"] = None
        if any(f in values for f in SENSITIVE):
            out["pii"] = {"k": self.keyring.current_id}
        return out

    def reveal(self, doc: dict[str, Any], field: str) -> str | None:
        return self.keyring.open(doc.get(f"{field}Sealed"), field)

    async def insert(self, doc: dict[str, Any], session=None) -> dict[str, Any]:
        """The stored document (a retry under the same Idempotency-Key gets the first one), its
        ID number claimed platform-wide in the same transaction (`session`);
        `DuplicateKeyError` when another resident holds it."""
        stored = await insert_once(self.coll, doc, session)
        number = stored.get("idNumberHash")
        if number and not await self.unique.claim(ID_NUMBER, number, stored["_id"], session):
            if session is None and stored["_id"] == doc["_id"]:
                await self.coll.delete_one({"_id": doc["_id"]})
            raise DuplicateKeyError(TAKEN, DUPLICATE_KEY)
        return stored

    async def insert_many(self, docs: list[dict[str, Any]]) -> None:
        """Insert `docs` (unordered): rows whose ID number another resident holds are refused
        as by a unique index (`BulkWriteError`, code 11000 at their index), the others stored."""
        if not docs:
            return
        taken = await self.unique.claim_many(ID_NUMBER, [(d["idNumberHash"], d["_id"]) for d in docs
                                                         if d.get("idNumberHash")])
        refused = [i for i, d in enumerate(docs) if (d.get("idNumberHash"), d["_id"]) in taken]
        keep = [d for d in docs if (d.get("idNumberHash"), d["_id"]) not in taken] if taken else docs
        try:
            await stamps.insert_all(self.coll, keep, ordered=False)
        except BaseException:
            await self.unique.release_claims(ID_NUMBER, [(d["idNumberHash"], d["_id"]) for d in keep
                                                         if d.get("idNumberHash")])
            raise
        if refused:
            raise BulkWriteError({"writeErrors": [{"index": i, "code": DUPLICATE_KEY, "errmsg": TAKEN} for i in refused],
                                  "nInserted": len(keep)})

    async def update(self, id: str, scope_filter: dict[str, Any], changes: dict[str, Any],
                     unset: list[str] | None = None, session=None) -> dict[str, Any] | None:
        """The updated resident, or None when `scope_filter` no longer matches. A changed ID
        number is claimed first and the old one released (pass the transaction's `session`)."""
        update: dict[str, Any] = {"$set": changes, "$inc": {"version": 1}}
        if unset:
            update["$unset"] = {k: "" for k in unset}
        new = changes.get("idNumberHash")
        old = None
        if "idNumberHash" in changes:
            before = await self.coll.find_one(scoped({"_id": id}, scope_filter), {"idNumberHash": 1}, session=session)
            if before is None:
                return None
            old = before.get("idNumberHash")
            if new and new != old and not await self.unique.claim(ID_NUMBER, new, id, session):
                raise DuplicateKeyError(TAKEN, DUPLICATE_KEY)
        doc = await self.coll.find_one_and_update(scoped({"_id": id}, scope_filter), update,
                                                  return_document=ReturnDocument.AFTER, session=session)
        if new and new != old and doc is None:
            await self.unique.release(ID_NUMBER, [new], id, session)
        if old and old != new and doc is not None:
            await self.unique.release(ID_NUMBER, [old], id, session)
        return doc

    async def claim_stored_id_numbers(self, batch: int = 5000) -> int:
        """Claim the ID numbers of residents stored before `unique_values` held them (an
        upgrade, run once); how many were claimed."""
        done = 0
        async for rows in in_batches(self.coll.find({"idNumberHash": {"$type": "string"}}, {"idNumberHash": 1}), batch):
            await self.unique.claim_many(ID_NUMBER, [(r["idNumberHash"], r["_id"]) for r in rows])
            done += len(rows)
        return done

    def _under_older_keys(self) -> dict[str, Any]:
        """Rows sealed under a key other than the current one (rows without PII have none)."""
        return {"pii.k": {"$exists": True, "$nin": [self.keyring.current_id]}}

    async def count_sealed_under_older_keys(self) -> int:
        """Rows whose PII is still sealed under a key other than the current one (pii rotation)."""
        return await self.coll.count_documents(self._under_older_keys())

    def sealed_under_older_keys(self, batch: int) -> AsyncIterator[list[dict[str, Any]]]:
        """The rows under older keys, `batch` at a time, from one cursor (a query per batch
        would scan past the rows already re-sealed every time: quadratic over a province)."""
        return in_batches(self.coll.find(self._under_older_keys()), batch)

    async def reseal_many(self, pairs: list[tuple[dict[str, Any], dict[str, Any]]]) -> int:
        """Store each `(row, sealed)` if the row is still under the key it was read with
        (concurrent edits win); ID numbers' claims move to the new blind indexes. One round
        trip per step for the whole batch; how many rows were re-sealed."""
        if not pairs:
            return 0
        moving = [(sealed["idNumberHash"], row["_id"]) for row, sealed in pairs
                  if sealed.get("idNumberHash") and sealed["idNumberHash"] != row.get("idNumberHash")]
        await self.unique.claim_many(ID_NUMBER, moving)
        await self.coll.bulk_write([UpdateOne({"_id": row["_id"], "pii.k": row["pii"]["k"]}, {"$set": sealed})
                                    for row, sealed in pairs], ordered=False)
        now = {d["_id"]: d async for d in self.coll.find({"_id": {"$in": [row["_id"] for row, _ in pairs]}},
                                                         {"pii": 1, "idNumberHash": 1})}
        resealed, released = 0, []
        for row, sealed in pairs:
            stored = now.get(row["_id"], {})
            moved = stored.get("pii") == sealed["pii"] and stored.get("idNumberHash") == sealed.get("idNumberHash")
            resealed += moved
            new, old = sealed.get("idNumberHash"), row.get("idNumberHash")
            if new and new != old and (old if moved else new):
                released.append((old if moved else new, row["_id"]))
        await self.unique.release_claims(ID_NUMBER, released)
        return resealed

    async def find_by_id_number(self, id_number: str) -> dict[str, Any] | None:
        """Deliberately global: ID numbers are unique across the platform."""
        return await self.coll.find_one({"idNumberHash": {"$in": self.keyring.blind_indexes(id_number, "idNumber")}})

    async def existing_id_number_hashes(self, hashes: list[str]) -> set[str]:
        """Which of these blind indexes are taken (deliberately global, like `find_by_id_number`)."""
        if not hashes:
            return set()
        docs = self.coll.find({"idNumberHash": {"$in": hashes}}, {"idNumberHash": 1, "_id": 0})
        return {d["idNumberHash"] async for d in docs}

    async def with_any_tag(self, scope_filter: dict[str, Any], tags: list[str], limit: int) -> list[dict[str, Any]]:
        """Residents in scope having one of `tags` (the communityId/tags index), oldest first."""
        query = scoped({"tags": {"$in": tags}}, scope_filter)
        return await self.coll.find(query, {"name": 1, "tags": 1, "gridId": 1, "communityId": 1, "createdAt": 1}) \
            .sort("_id", ASCENDING).limit(limit).to_list()

    async def find_by_phone(self, phone: str, scope_filter: dict[str, Any]) -> list[dict[str, Any]]:
        query = {"phoneHash": {"$in": self.keyring.blind_indexes(phone, "phone")}}
        return await self.coll.find(scoped(query, scope_filter)).to_list()

    async def household_exists(self, community_id: str, household_id: str) -> bool:
        return await self.coll.count_documents({"communityId": community_id, "householdId": household_id},
                                               limit=1) > 0

    @staticmethod
    def _of_community(community_id: str, household_heads: bool) -> dict[str, Any]:
        # indexes: (communityId, relation), (communityId, gridId, _id)
        return {"communityId": community_id, **({"relation": "self"} if household_heads else {})}

    async def count_of_community(self, community_id: str, *, household_heads: bool = False,
                                 grid_id: str | None = None) -> int:
        """Residents of a community, optionally only household heads and/or one grid's."""
        query = self._of_community(community_id, household_heads)
        if grid_id is not None:
            query["gridId"] = grid_id
        return await self.coll.count_documents(query)

    async def count_per_grid_of_community(self, community_id: str, *, household_heads: bool = False
                                          ) -> dict[str | None, int]:
        rows = await (await self.coll.aggregate([
            {"$match": self._of_community(community_id, household_heads)},
            {"$group": {"_id": "$gridId", "n": {"$sum": 1}}},
        ])).to_list()
        return {r["_id"]: r["n"] for r in rows}

    async def count_by_grid(self, grids: list[tuple[str, str]]) -> dict[str, int]:
        """Residents per grid of `(communityId, gridId)` pairs: one aggregation per community
        (targeted at its shard, on the communityId/gridId index)."""
        by_community: dict[str, list[str]] = {}
        for community_id, grid_id in grids:
            by_community.setdefault(community_id, []).append(grid_id)
        out: dict[str, int] = {}
        for community_id, grid_ids in by_community.items():
            rows = await (await self.coll.aggregate([
                {"$match": {"communityId": community_id, "gridId": grid_ids[0] if len(grid_ids) == 1
                            else {"$in": grid_ids}}},
                {"$group": {"_id": "$gridId", "n": {"$sum": 1}}},
            ])).to_list()
            out.update({r["_id"]: r["n"] for r in rows})
        return out


def as_datetime_utc(d: date) -> datetime:
    """A date as midnight UTC (how birth dates are stored)."""
    return datetime(d.year, d.month, d.day, tzinfo=UTC)
