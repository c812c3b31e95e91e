"""Grids (boundaries, gridAt), the seed, and the published SDL."""

from __future__ import annotations

from pathlib import Path

from community_plus.demo import data as dd
from community_plus.platform.validation import id_number_problem

GRID_AT = "query($lon: Float!, $lat: Float!) { gridAt(longitude: $lon, latitude: $lat) { id name } }"
CREATE_GRID = """mutation($c: ID!, $b: JSON!) { createGrid(communityId: $c, name: "新网格", boundary: $b) { id name } }"""


async def test_grid_at_point(gql, world):
    token = await gql.login("admin001")
    lon, lat = dd.community_origin(0)
    grids = world["grids"][world["communities"][0]["_id"]]
    # the first grid is the left half of the community's tile
    hit = (await gql.ok(GRID_AT, {"lon": lon + 0.001, "lat": lat + 0.001}, token=token))["gridAt"]
    assert hit["id"] == grids[0]["_id"]
    hit = (await gql.ok(GRID_AT, {"lon": lon + 0.011, "lat": lat + 0.001}, token=token))["gridAt"]
    assert hit["id"] == grids[1]["_id"]
    # far away: no grid; a point in another community is outside this admin's scope
    assert (await gql.ok(GRID_AT, {"lon": 100.0, "lat": 20.0}, token=token))["gridAt"] is None
    lon2, lat2 = dd.community_origin(1)
    assert (await gql.ok(GRID_AT, {"lon": lon2 + 0.001, "lat": lat2 + 0.001}, token=token))["gridAt"] is None
    err = await gql.error("BAD_USER_INPUT", GRID_AT, {"lon": 200.0, "lat": 95.0}, token=token)
    assert {f["path"] for f in err["extensions"]["fields"]} == {"longitude", "latitude"}


async def test_create_grid_validates_boundary(gql, world):
    token = await gql.login("admin001")
    c1, c2 = (c["_id"] for c in world["communities"])
    bowtie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    err = await gql.error("BAD_USER_INPUT", CREATE_GRID, {"c": c1, "b": bowtie}, token=token)
    assert err["extensions"]["fields"][0]["path"] == "boundary" and "Self-intersection" in err["message"]
    open_ring = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]}
    await gql.error("BAD_USER_INPUT", CREATE_GRID, {"c": c1, "b": open_ring}, token=token)
    await gql.error("BAD_USER_INPUT", CREATE_GRID, {"c": c1, "b": {"type": "Point", "coordinates": [0, 0]}}, token=token)
    square = dd.square(120.0, 30.0, 0.01, 0.01)
    created = (await gql.ok(CREATE_GRID, {"c": c1, "b": square}, token=token))["createGrid"]
    assert created["name"] == "新网格"
    hit = (await gql.ok(GRID_AT, {"lon": 120.005, "lat": 30.005}, token=token))["gridAt"]
    assert hit["id"] == created["id"]
    await gql.error("NOT_FOUND", CREATE_GRID, {"c": c2, "b": square}, token=token)  # no existence oracle
    worker = await gql.login("gw0011")
    await gql.error("FORBIDDEN", CREATE_GRID, {"c": c1, "b": square}, token=worker)


async def test_grid_workers_and_counts(gql, world, platform):
    token = await gql.login("admin001")
    data = await gql.ok("{ me { community { name grids { name residentCount workers { name phone } } } } }", token=token)
    grids = data["me"]["community"]["grids"]
    assert len(grids) == 2 and sum(g["residentCount"] for g in grids) == 12
    assert all(len(g["workers"]) == 1 and g["workers"][0]["name"].endswith("（网格员）") for g in grids)


async def test_seed_is_idempotent_and_valid(platform, world):
    from community_plus.demo.seed import seed

    before = await platform.residents.coll.count_documents({})
    result = await seed(platform, communities=2, residents_per_community=12, grids_per_community=2,
                        work_orders_per_community=0)
    assert result["residents_created"] == 0
    assert await platform.residents.coll.count_documents({}) == before == 24
    assert await platform.users.coll.count_documents({"username": "admin"}) == 1
    async for doc in platform.residents.coll.find({}):
        assert id_number_problem(platform.residents.reveal(doc, "idNumber")) is None
    heads = await platform.residents.coll.count_documents({"relation": "self"})
    households = len(await platform.residents.coll.distinct("householdId"))
    assert heads == households
    levels = {d["level"] async for d in platform.regions.coll.find({})}
    assert levels == {"province", "city", "district", "street", "community"}


def test_published_sdl_is_current():
    from community_plus.modules.sdl_export import all_sdl

    root = Path(__file__).resolve().parents[2] / "schema"
    for name, text in all_sdl().items():
        assert (root / name).read_text(encoding="utf-8") == text, (
            f"schema/{name} is stale: run `make schema` (community-plus schema export) and commit it")


def test_province_seed_generates_unique_id_numbers_and_contains_the_demo():
    """The province (12 communities × 2,000 residents) without a database: every ID number
    valid and unique, and the demo's people (3 × 100) are exactly the province's first ones."""
    import random as rnd

    from community_plus.demo.seed import DEMO, PROVINCE, _households, region_layout

    def people(size):
        _, communities = region_layout(size.communities)
        for community in communities:
            grids = [{"_id": f"{community['_id']}-g{g}"} for g in range(size.grids_per_community)]
            yield from _households(rnd.Random(f"community-plus:{community['_id']}"), community, grids,
                                   size.residents_per_community)

    province = {p["seedKey"]: p for p in people(PROVINCE)}
    ids = [p["idNumber"] for p in province.values()]
    assert len(province) == len(set(ids)) == 24000
    assert all(id_number_problem(i) is None for i in ids)
    demo = list(people(DEMO))
    assert len(demo) == 300
    assert all(province[p["seedKey"]] == p for p in demo)


async def test_a_bigger_seed_completes_a_smaller_one(platform, world):
    """`seed` after a smaller seed (e.g. `seed --province` after `make serve`'s demo) adds
    communities and residents without duplicating or clashing with what is there."""
    from community_plus.demo.seed import seed

    small = {c["_id"] for c in world["communities"]}
    result = await seed(platform, communities=4, residents_per_community=20, grids_per_community=2,
                        work_orders_per_community=0)
    communities = {d["_id"] async for d in platform.regions.coll.find({"level": "community"})}
    assert small < communities and len(communities) == result["communities"] == 4
    assert result["residents_created"] == 4 * 20 - 2 * 12
    assert await platform.residents.coll.count_documents({}) == 80
    numbers = [platform.residents.reveal(d, "idNumber") async for d in platform.residents.coll.find({})]
    assert len(set(numbers)) == 80


def test_plain_progress_lines_when_not_a_terminal():
    import io

    from rich.console import Console

    from community_plus.platform.progress import TaskProgress

    out = io.StringIO()
    with TaskProgress(Console(file=out, force_terminal=False, width=200), "seeding", interval=3600) as progress:
        progress("residents", 0, 300)
        for _ in range(3):
            progress("residents", 100, 0)
        progress("modules", 0, 1)
        progress("modules", 1, 1)
        progress("modules", 0, 0)  # nothing new: no line
    lines = out.getvalue().splitlines()
    assert [line.split(",")[0] for line in lines] == [
        "seeding residents: 100/300 (33%)", "seeding residents: 300/300 (100%)", "seeding modules: 1/1 (100%)"]
