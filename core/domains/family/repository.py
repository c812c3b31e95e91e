"""Guardianships: a resident (guardian) looks after a family member (ward), e.g. an adult
child and an elderly parent. `{_id, guardianResidentId, wardResidentId, relation,
communityId, regionPath (the ward's), createdAt, createdBy}`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pymongo import ASCENDING, IndexModel

from community_plus.domains.parts import platform_part
from community_plus.platform import stamps
from community_plus.platform.repository import Repository

if TYPE_CHECKING:
    from community_plus.domains.platform import Platform

MAX_WARDS = 50


class GuardianshipRepository(Repository):
    collection = "guardianships"
    indexes = [
        # a guardianship lives in its ward's community: unique per community is unique (and shardable)
        IndexModel([("communityId", ASCENDING), ("guardianResidentId", ASCENDING), ("wardResidentId", ASCENDING)],
                   unique=True, name="one_link_per_pair_of_community"),
        IndexModel([("guardianResidentId", ASCENDING), ("wardResidentId", ASCENDING)], name="guardian_ward_lookup"),
        IndexModel([("wardResidentId", ASCENDING)]),
        IndexModel([("communityId", ASCENDING), ("_id", ASCENDING)]),
        IndexModel([("regionPath", ASCENDING), ("_id", ASCENDING)]),
    ]

    async def insert(self, doc: dict[str, Any]) -> None:
        await stamps.insert(self.coll, doc)

    async def wards_of(self, guardian_resident_id: str) -> list[dict[str, Any]]:
        return await self.coll.find({"guardianResidentId": guardian_resident_id}) \
            .sort("_id", ASCENDING).limit(MAX_WARDS).to_list()

    async def ward_ids_of(self, guardian_resident_id: str) -> list[str]:
        """Every ward of the guardian (uncapped: `ctx.wards()` for modules)."""
        docs = self.coll.find({"guardianResidentId": guardian_resident_id}, {"wardResidentId": 1})
        return [d["wardResidentId"] async for d in docs]

    async def link(self, guardian_resident_id: str, ward_resident_id: str) -> dict[str, Any] | None:
        return await self.coll.find_one({"guardianResidentId": guardian_resident_id, "wardResidentId": ward_resident_id})

    async def delete(self, id: str, scope_filter: dict[str, Any]) -> bool:
        return (await self.coll.delete_one({"_id": id, **scope_filter})).deleted_count == 1


async def guardianships(platform: Platform) -> GuardianshipRepository:
    """The platform's guardianships repository (its indexes ensured on first use)."""
    return await platform_part(platform, GuardianshipRepository.collection, lambda p: GuardianshipRepository(p.db),
                               lambda repo: [repo])
