"""Participation as a rate: the residents who may take part are counted through the SDK
(`ctx.residents`), overall and per grid, live and frozen at the resolution; the dashboard
reports the rate of the topics resolved."""

from __future__ import annotations

from collections import Counter

RESULTS = """query($t: ID!) { consultationResults(topicId: $t) { totalVotes eligibleVoters participants
  participationRate grids { gridId votes eligibleVoters participationRate } } }"""
TOPIC = "query($id: ID!) { consultationTopic(id: $id) { state participationRate } }"


async def test_household_heads_participation_rate(kit, community):
    residents = await kit.residents()
    heads = [r for r in residents if r["relation"] == "self"]
    assert 2 <= len(heads) < len(residents)  # the seed has heads and family members
    topic = await kit.open(title="户主表决：外墙保温改造", audience="HOUSEHOLD_HEADS")
    index = {r["id"]: i for i, r in enumerate(residents)}
    voters = heads[:2]
    for r in voters:
        client = await kit.resident(index[r["id"]])
        await client.ok(kit.VOTE, {"t": topic["id"], "o": "o1"})

    live = (await kit.admin.ok(RESULTS, {"t": topic["id"]}))["consultationResults"]
    assert live["eligibleVoters"] == len(heads) and live["participants"] == 2
    assert live["participationRate"] == round(2 / len(heads), 4)
    eligible_per_grid = Counter(r["gridId"] for r in heads)
    voted_per_grid = Counter(r["gridId"] for r in voters)
    grids = {g["gridId"]: g for g in live["grids"]}
    assert {g: v["eligibleVoters"] for g, v in grids.items()} == dict(eligible_per_grid)
    for grid, g in grids.items():
        assert g["votes"] == voted_per_grid.get(grid, 0)
        assert g["participationRate"] == round(voted_per_grid.get(grid, 0) / eligible_per_grid[grid], 4)

    kit.clock.advance(days=3)
    await kit.admin.ok(kit.RESOLVE, {"id": topic["id"], "r": "通过外墙保温改造"})
    resolved = (await kit.admin.ok(TOPIC, {"id": topic["id"]}))["consultationTopic"]
    assert resolved == {"state": "RESOLVED", "participationRate": round(2 / len(heads), 4)}
    stats = (await kit.admin.ok(kit.STATS, {"u": kit.deadline(1)}))["moduleStatistics"]
    figures = {s["key"]: s["value"] for s in stats if s["module"] == "consultation"}
    assert figures["participation_rate"] == round(2 / len(heads) * 100, 1)


async def test_grid_topic_counts_the_grids_residents(kit, community):
    residents = await kit.residents()
    grid = community.grid_ids[0]
    in_grid = [r for r in residents if r["gridId"] == grid]
    topic = await kit.open(title="本网格楼道灯改造", audience="GRID", gridId=grid)
    first = await kit.resident(next(i for i, r in enumerate(residents) if r["gridId"] == grid))
    await first.ok(kit.VOTE, {"t": topic["id"], "o": "o2"})
    results = (await kit.admin.ok(RESULTS, {"t": topic["id"]}))["consultationResults"]
    assert results["eligibleVoters"] == len(in_grid)
    assert results["participationRate"] == round(1 / len(in_grid), 4)
    assert [(g["gridId"], g["votes"], g["eligibleVoters"]) for g in results["grids"]] == [(grid, 1, len(in_grid))]
