"""Keyset pagination under concurrent inserts, and a constant number of database commands."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from community_plus.platform.repository import new_id

PAGE = """query($after: String) { residents(first: 5, after: $after) {
  totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id } } } }"""


async def _insert(platform, community, n):
    now = datetime.now(UTC)
    docs = [platform.residents.seal({"_id": new_id(), "name": f"新居民{i}", "communityId": community["_id"],
                                     "regionPath": [*community["path"], community["_id"]], "tags": [],
                                     "registered": True, "createdAt": now, "updatedAt": now, "version": 1,
                                     "birthDate": now}) for i in range(n)]
    await platform.residents.insert_many(docs)
    return [d["_id"] for d in docs]


async def test_pages_have_no_gaps_or_duplicates_while_rows_are_inserted(gql, world, platform):
    token = await gql.login("admin001")
    community = world["communities"][0]
    before = {d["_id"] async for d in platform.residents.coll.find({"communityId": community["_id"]}, {"_id": 1})}
    seen: list[str] = []
    after = None
    inserted: list[str] = []
    while True:
        page = (await gql.ok(PAGE, {"after": after}, token=token))["residents"]
        seen += [e["node"]["id"] for e in page["edges"]]
        if len(inserted) < 6:
            inserted += await _insert(platform, community, 3)  # rows arrive between page fetches
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)), "a row appeared on two pages"
    assert before <= set(seen), "a row that existed before paging started was skipped"
    assert set(inserted) <= set(seen)  # new rows sort last, so they are reached too
    await gql.error("BAD_USER_INPUT", PAGE, {"after": "!!not-a-cursor"}, token=token)


LIST = """query($n: Int!) { residents(first: $n) { totalCount edges { node {
  name phone grid { name workers { name phone } residentCount } community { name ancestors { name } } } } } }"""


async def test_listing_residents_issues_constant_commands(gql, world, platform, command_counter):
    community = world["communities"][0]
    await _insert(platform, community, 50)
    token = await gql.login("admin001")
    await gql.ok("{ me { name } }", token=token)  # warm the per-community module cache
    counts = {}
    for n in (5, 50):
        data, counts[n] = await command_counter.run(gql, LIST, {"n": n}, token=token)
        assert len(data["residents"]["edges"]) == n
    assert sorted(counts[5]) == sorted(counts[50]), counts  # order varies with scheduling
    # page + count, grids, communities, workers, resident counts, ancestors
    assert len(counts[50]) == 7, counts[50]


async def test_commands_outside_the_request_are_not_counted(gql, world, platform, command_counter):
    """A background job (here: the test itself) talking to the database while a request runs
    does not land in that request's count (it once made the test above flaky)."""
    token = await gql.login("admin001")
    await gql.ok("{ me { name } }", token=token)  # warm the per-community module cache
    done = asyncio.Event()
    strangers = 0

    async def background_job():  # like the outbox: claims messages for as long as the request runs
        nonlocal strangers
        while not done.is_set():
            await platform.outbox.coll.find_one_and_update({"_id": "none"}, {"$set": {"x": 1}})
            strangers += 1

    job = asyncio.create_task(background_job())
    try:
        _, alone = await command_counter.run(gql, LIST, {"n": 5}, token=token)
    finally:
        done.set()
        await job
    assert strangers >= 2, "the stranger's commands did not overlap the request"
    assert "findAndModify" not in alone, alone
    _, again = await command_counter.run(gql, LIST, {"n": 5}, token=token)
    assert sorted(alone) == sorted(again) and len(again) == 7, (alone, again)
