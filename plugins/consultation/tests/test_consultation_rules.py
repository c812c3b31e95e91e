"""Who may take part, what is refused (stable codes), retries, and community boundaries."""

from __future__ import annotations

import ast
from pathlib import Path


async def test_eligibility_household_heads_and_grids(kit, community):
    people = await kit.residents()
    heads = [i for i, r in enumerate(people) if r["relation"] == "self"]
    others = [i for i, r in enumerate(people) if r["relation"] != "self"]
    assert heads and others
    topic = await kit.open(audience="HOUSEHOLD_HEADS")
    await (await kit.resident(heads[0])).ok(kit.VOTE, {"t": topic["id"], "o": "o1"})
    refused = await (await kit.resident(others[0])).error("FORBIDDEN", kit.VOTE, {"t": topic["id"], "o": "o1"})
    assert refused["extensions"]["reason"] == "NOT_ELIGIBLE"

    grid = community.grid_ids[0]
    worker = community.client("grid_worker")  # the worker of the first grid
    mine = await kit.open(worker, audience="GRID", gridId=grid, title="本网格垃圾分类亭位置")
    assert mine["gridId"] == grid
    inside = next(i for i, r in enumerate(people) if r["gridId"] == grid)
    outside = next(i for i, r in enumerate(people) if r["gridId"] != grid)
    await (await kit.resident(inside)).ok(kit.VOTE, {"t": mine["id"], "o": "o2"})
    await (await kit.resident(outside)).error("FORBIDDEN", kit.VOTE, {"t": mine["id"], "o": "o2"})
    listed = await worker.ok(kit.TOPICS, {"f": {"gridId": grid}})
    assert [e["node"]["id"] for e in listed["consultationTopics"]["edges"]] == [mine["id"]]

    # grid workers open topics for their own grid only, and resolve only those
    other_grid = community.grid_ids[1]
    base = {"kind": "VOTE", "title": "x", "options": ["a", "b"], "deadline": kit.deadline()}
    await worker.error("FORBIDDEN", kit.OPEN, {"i": {**base, "audience": "GRID", "gridId": other_grid}})
    await worker.error("FORBIDDEN", kit.OPEN, {"i": base})
    kit.clock.advance(days=3)
    await worker.error("FORBIDDEN", kit.RESOLVE, {"id": topic["id"], "r": "决议"})
    assert (await worker.ok(kit.RESOLVE, {"id": mine["id"], "r": "设在3号楼东侧"}))[
        "resolveConsultationTopic"]["state"] == "RESOLVED"


async def test_bad_input_answers_stable_codes(kit, community):
    admin, resident = kit.admin, community.client("resident")
    bad = await admin.error("BAD_USER_INPUT", kit.OPEN, {"i": {
        "kind": "VOTE", "title": " ", "options": ["同意"], "deadline": kit.deadline(-1), "audience": "GRID"}})
    paths = {f["path"] for f in bad["extensions"]["fields"]}
    assert paths == {"input.title", "input.options", "input.deadline", "input.gridId"}
    far = await admin.error("BAD_USER_INPUT", kit.OPEN, {"i": {"kind": "VOTE", "title": "t", "options": ["a", "a"],
                                                               "deadline": kit.deadline(400)}})
    assert {f["path"] for f in far["extensions"]["fields"]} == {"input.options", "input.deadline"}
    hearing = await admin.error("BAD_USER_INPUT", kit.OPEN, {"i": {"kind": "HEARING", "title": "t",
                                                                   "deadline": kit.deadline()}})
    assert {f["path"] for f in hearing["extensions"]["fields"]} == {"input.location", "input.hearingAt"}
    nogrid = await admin.error("BAD_USER_INPUT", kit.OPEN, {"i": {"kind": "VOTE", "title": "t", "options": ["a", "b"],
                                                                  "deadline": kit.deadline(), "audience": "GRID",
                                                                  "gridId": "no-such-grid"}})
    assert nogrid["extensions"]["fields"][0]["path"] == "input.gridId"
    await resident.error("FORBIDDEN", kit.OPEN, {"i": {"kind": "VOTE", "title": "t", "options": ["a", "b"],
                                                       "deadline": kit.deadline()}})
    topic = await kit.open()
    option = await resident.error("BAD_USER_INPUT", kit.VOTE, {"t": topic["id"], "o": "o9"})
    assert option["extensions"]["fields"][0]["path"] == "optionId"
    await resident.error("NOT_FOUND", kit.VOTE, {"t": "0" * 24, "o": "o1"})
    malformed = await resident.error("BAD_USER_INPUT", kit.TOPIC, {"id": "../x"})
    assert malformed["extensions"]["fields"][0]["path"] == "id"
    await admin.error("FORBIDDEN", kit.VOTE, {"t": topic["id"], "o": "o1"})  # staff do not vote
    empty = await admin.error("BAD_USER_INPUT", kit.RESOLVE, {"id": topic["id"], "r": " "})
    assert empty["extensions"]["fields"][0]["path"] == "resolution"
    cursor = await resident.error("BAD_USER_INPUT", kit.TOPICS, {"after": "not a cursor"})
    assert cursor["extensions"]["fields"][0]["path"] == "after"
    negative = await resident.error("BAD_USER_INPUT", kit.TOPICS, {"first": -1})
    assert negative["extensions"]["fields"][0]["path"] == "first"
    capped = (await resident.ok(kit.TOPICS, {"first": 1000}))["consultationTopics"]  # the SDK caps pages at 100
    assert capped["totalCount"] == 1 and len(capped["edges"]) == 1
    await resident.error("BAD_USER_INPUT", kit.ARCHIVE, {"y": 3100})
    anonymous = await community.anonymous().execute("{ consultationTopics { totalCount } }")
    assert anonymous["data"] is None and {e["extensions"]["code"] for e in anonymous["errors"]} <= {
        "UNAUTHENTICATED", "MODULE_DISABLED"}


async def test_pages_and_retries(kit, community):
    ids = [(await kit.open(title=f"议题{i}"))["id"] for i in range(3)]
    first = (await kit.admin.ok(kit.TOPICS, {"first": 2}))["consultationTopics"]
    assert first["totalCount"] == 3 and first["pageInfo"]["hasNextPage"] is True
    rest = (await kit.admin.ok(kit.TOPICS, {"first": 2, "after": first["pageInfo"]["endCursor"]}))["consultationTopics"]
    assert [e["node"]["id"] for e in first["edges"] + rest["edges"]] == ids[::-1]
    assert rest["pageInfo"]["hasNextPage"] is False

    variables = {"i": {"kind": "VOTE", "title": "重试的议题", "options": ["a", "b"], "deadline": kit.deadline()}}
    token = community.tokens["community_admin"]
    one = await kit.post(kit.OPEN, variables, token, "open-topic-1")
    two = await kit.post(kit.OPEN, variables, token, "open-topic-1")
    assert one["data"]["openConsultationTopic"]["id"] == two["data"]["openConsultationTopic"]["id"]
    assert (await kit.admin.ok(kit.TOPICS, {}))["consultationTopics"]["totalCount"] == 4

    resident = community.client("resident")
    vote = {"t": ids[0], "o": "o1"}
    await kit.post(kit.VOTE, vote, resident.token, "vote-1")
    await kit.post(kit.VOTE, vote, resident.token, "vote-1")
    await resident.ok(kit.VOTE, vote)
    topic = (await resident.ok(kit.TOPIC, {"id": ids[0]}))["consultationTopic"]
    assert topic["voterCount"] == 1 and topic["myChoice"] == "o1"


async def test_nothing_crosses_communities(kit, community):
    other = community.other
    await other.set_module("consultation", True)
    theirs = await kit.open(other.client("community_admin"), title="B社区的议题")
    mine = await kit.open(title="A社区的议题")
    resident = community.client("resident")
    await resident.error("NOT_FOUND", kit.TOPIC, {"id": theirs["id"]})
    await resident.error("NOT_FOUND", kit.VOTE, {"t": theirs["id"], "o": "o1"})
    await resident.error("NOT_FOUND", kit.RESULTS, {"t": theirs["id"]})
    await kit.admin.error("NOT_FOUND", kit.OPINIONS, {"t": theirs["id"]})
    listed = (await resident.ok(kit.TOPICS, {}))["consultationTopics"]
    assert [e["node"]["id"] for e in listed["edges"]] == [mine["id"]]
    await other.client("resident").error("NOT_FOUND", kit.VOTE, {"t": mine["id"], "o": "o1"})
    for role in ("community_admin", "grid_worker", "resident"):  # staff of B pointing at A are refused
        body = await kit.as_staff_of_other(role).execute(kit.TOPICS, {})
        assert body["data"] is None and [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"], body
    kit.clock.advance(days=3)
    await kit.admin.error("NOT_FOUND", kit.RESOLVE, {"id": theirs["id"], "r": "越权"})
    stats = (await other.client("community_admin").ok(kit.STATS, {"u": kit.deadline(1)}))["moduleStatistics"]
    assert {"module": "consultation", "key": "topics_opened", "value": 1.0} in stats


def test_the_module_imports_only_the_sdk():
    root = Path(__file__).parents[1]
    for path in [*root.glob("consultation/*.py"), *root.glob("tests/*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            assert not [n for n in names if n == "community_plus" or n.startswith("community_plus.")], path


async def test_racing_votes_keep_one_vote_per_resident(kit, community):
    import asyncio

    topic = await kit.open(options=["甲", "乙", "丙"])
    resident = community.client("resident")
    others = [await kit.resident(i) for i in range(1, 5)]
    answers = await asyncio.gather(*(resident.execute(kit.VOTE, {"t": topic["id"], "o": f"o{1 + i % 3}"})
                                     for i in range(6)),
                                   *(c.execute(kit.VOTE, {"t": topic["id"], "o": "o3"}) for c in others))
    failures = [a for a in answers if a.get("errors")]
    assert all(e["extensions"]["code"] == "CONFLICT" for a in failures for e in a["errors"]), failures
    seen = (await kit.admin.ok(kit.TOPIC, {"id": topic["id"]}))["consultationTopic"]
    results = (await kit.admin.ok(kit.RESULTS, {"t": topic["id"]}))["consultationResults"]
    assert seen["voterCount"] == results["totalVotes"] == 5  # one vote each, however the requests interleaved
    mine = (await resident.ok(kit.TOPIC, {"id": topic["id"]}))["consultationTopic"]["myChoice"]
    assert sum(o["votes"] for o in results["options"] if o["optionId"] == mine) >= 1


UPDATE = """mutation($id: ID!, $i: UpdateConsultationTopicInput!) { updateConsultationTopic(id: $id, input: $i) {
  id title deadline options { id label } } }"""


async def test_editing_an_open_topic(kit, community):
    topic = await kit.open()
    changed = (await kit.admin.ok(UPDATE, {"id": topic["id"], "i": {
        "title": "楼道堆物清理方案（修订）", "options": ["统一清运", "各户自清", "物业代清"],
        "deadline": kit.deadline(5)}}))["updateConsultationTopic"]
    assert changed["title"] == "楼道堆物清理方案（修订）" and [o["label"] for o in changed["options"]] == [
        "统一清运", "各户自清", "物业代清"]
    bad = await kit.admin.error("BAD_USER_INPUT", UPDATE, {"id": topic["id"], "i": {
        "title": " ", "deadline": kit.deadline(-1), "options": ["一"]}})
    assert {f["path"] for f in bad["extensions"]["fields"]} == {"input.title", "input.deadline", "input.options"}
    await community.client("resident").error("FORBIDDEN", UPDATE, {"id": topic["id"], "i": {"title": "x"}})
    await kit.as_staff_of_other().error("FORBIDDEN", UPDATE, {"id": topic["id"], "i": {"title": "x"}})  # not theirs

    await community.client("resident").ok(kit.VOTE, {"t": topic["id"], "o": "o1"})
    votes_cast = await kit.admin.error("CONFLICT", UPDATE, {"id": topic["id"], "i": {"options": ["甲", "乙"]}})
    assert votes_cast["extensions"]["reason"] == "VOTES_CAST"
    longer = (await kit.admin.ok(UPDATE, {"id": topic["id"], "i": {"deadline": kit.deadline(6)}}))
    assert longer["updateConsultationTopic"]["options"] == changed["options"]  # the deadline still moves
    kit.clock.advance(days=7)
    closed = await kit.admin.error("CONFLICT", UPDATE, {"id": topic["id"], "i": {"title": "太迟了"}})
    assert closed["extensions"]["reason"] == "VOTING_CLOSED"
