"""Fixtures for the hotline and linkage tests: a region tree of seven communities (streets
S1 = communities 1–3, S2 = 4–6 in district D1; S3 = community 7 in district D2), staff for
the new roles, and helpers."""

from __future__ import annotations

import pytest

from community_plus.domains.staff.accounts import create_staff_user

from workorder_fixtures import resident_token

PASSWORD = "community-plus"


@pytest.fixture
async def tree(platform, gql):
    from community_plus.demo.seed import seed

    await seed(platform, communities=7, residents_per_community=4, grids_per_community=1,
               work_orders_per_community=0)
    communities = await platform.regions.coll.find({"level": "community"}).sort("_id", 1).to_list()
    streets = await platform.regions.coll.find({"level": "street"}).sort("_id", 1).to_list()
    districts = await platform.regions.coll.find({"level": "district"}).sort("_id", 1).to_list()
    t = {"communities": communities, "streets": streets, "districts": districts, "tokens": {}}

    async def staff(username: str, role: str, **scope) -> str:
        await create_staff_user(platform, username=username, password=PASSWORD, role=role, display_name=username,
                                **scope)
        t["tokens"][username] = token = await gql.login(username)
        return token

    t["staff"] = staff
    return t


async def resident_of(platform, community_id: str) -> tuple[dict, str]:
    """A resident (householder, with a phone) of the community and their mini-program session."""
    doc = await platform.residents.coll.find_one({"communityId": community_id, "relation": "self",
                                                  "phoneHash": {"$ne": None}})
    return doc, await resident_token(platform, doc)
