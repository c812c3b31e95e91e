"""居民议事 end to end, as its users do it: the community opens a vote, residents vote and
change their minds, results are anonymous (per grid), the deadline passes, the resolution is
published and every voter is notified; the archive and the dashboard show it."""

from __future__ import annotations

from datetime import datetime


async def test_vote_deadline_resolution_notification(kit, community):
    topic = await kit.open(title="小区停车位分配方案", options=["摇号", "按先后顺序", "按楼栋分配"])
    assert topic["state"] == "OPEN" and [o["id"] for o in topic["options"]] == ["o1", "o2", "o3"]
    alice, bob, carol = community.client("resident"), await kit.resident(1), await kit.resident(2)
    await alice.ok(kit.VOTE, {"t": topic["id"], "o": "o1"})
    await bob.ok(kit.VOTE, {"t": topic["id"], "o": "o2"})
    changed = (await bob.ok(kit.VOTE, {"t": topic["id"], "o": "o1"}))["castConsultationVote"]
    assert changed["optionId"] == "o1" and changed["changedAt"]
    again = (await alice.ok(kit.VOTE, {"t": topic["id"], "o": "o1"}))["castConsultationVote"]
    assert again["changedAt"] is None  # the same vote twice changes nothing

    seen = (await bob.ok(kit.TOPIC, {"id": topic["id"]}))["consultationTopic"]
    assert seen["myChoice"] == "o1" and seen["voterCount"] == 2
    results = (await carol.ok(kit.RESULTS, {"t": topic["id"]}))["consultationResults"]
    assert results["totalVotes"] == 2 and results["final"] is False
    assert [(o["optionId"], o["votes"]) for o in results["options"]] == [("o1", 2), ("o2", 0), ("o3", 0)]
    grids = {r["id"]: r["gridId"] for r in await kit.residents()}
    by_grid = {g["gridId"]: g["votes"] for g in results["grids"] if g["votes"]}  # grids without votes show 0
    expected: dict[str, int] = {}
    for rid in community.resident_ids[:2]:
        expected[grids[rid]] = expected.get(grids[rid], 0) + 1
    assert by_grid == expected
    assert "residentId" not in str(results) and "userId" not in str(results)  # anonymous: counts only

    early = await kit.admin.error("CONFLICT", kit.RESOLVE, {"id": topic["id"], "r": "采用摇号"})
    assert early["extensions"]["reason"] == "VOTING_OPEN"

    kit.clock.advance(days=3)  # the deadline passes
    late = await carol.error("CONFLICT", kit.VOTE, {"t": topic["id"], "o": "o2"})
    assert late["extensions"]["reason"] == "VOTING_CLOSED"
    assert (await carol.ok(kit.TOPIC, {"id": topic["id"]}))["consultationTopic"]["state"] == "CLOSED"
    closed = await kit.admin.ok(kit.TOPICS, {"f": {"state": "CLOSED"}})
    assert [e["node"]["id"] for e in closed["consultationTopics"]["edges"]] == [topic["id"]]

    resolved = (await kit.admin.ok(kit.RESOLVE, {"id": topic["id"], "r": "采用摇号方式分配车位"}))
    resolved = resolved["resolveConsultationTopic"]
    assert resolved["state"] == "RESOLVED" and resolved["resolution"]["text"] == "采用摇号方式分配车位"
    retry = await kit.admin.ok(kit.RESOLVE, {"id": topic["id"], "r": "采用摇号方式分配车位"})  # idempotent
    assert retry["resolveConsultationTopic"]["resolution"] == resolved["resolution"]
    other = await kit.admin.error("CONFLICT", kit.RESOLVE, {"id": topic["id"], "r": "另一决议"})
    assert other["extensions"]["reason"] == "ALREADY_RESOLVED"

    page = f"/pages/consultation/detail?id={topic['id']}"
    for voter in (alice, bob):
        notes = (await voter.ok(kit.NOTES))["myNotifications"]
        assert [n["node"] for n in notes["edges"]] == [{"title": "议题决议：小区停车位分配方案", "state": "已公布",
                                                         "page": page}]
    assert (await carol.ok(kit.NOTES))["myNotifications"]["totalCount"] == 0  # not a voter

    final = (await carol.ok(kit.RESULTS, {"t": topic["id"]}))["consultationResults"]
    assert final["final"] is True and final["totalVotes"] == 2
    year = datetime.fromisoformat(resolved["resolution"]["publishedAt"]).year
    archive = (await carol.ok(kit.ARCHIVE, {"y": year}))["consultationArchive"]
    assert [e["node"]["id"] for e in archive["edges"]] == [topic["id"]]
    assert (await carol.ok(kit.ARCHIVE, {"y": year - 1}))["consultationArchive"]["totalCount"] == 0
    stats = {s["key"]: s["value"] for s in (await kit.admin.ok(kit.STATS, {"u": kit.deadline(1)}))["moduleStatistics"]
             if s["module"] == "consultation"}
    assert stats["resolutions"] == 1 and stats["votes"] == 2 and stats["voters"] == 2 and stats["average_voters"] == 2


async def test_hearing_and_evaluation_take_written_opinions(kit, community):
    hearing = await kit.open(kind="HEARING", title="加装电梯费用分摊听证", options=None,
                             hearingAt=kit.deadline(1), location="社区党群服务中心")
    assert hearing["options"] == []
    resident = community.client("resident")
    wrong = await resident.error("BAD_USER_INPUT", kit.VOTE, {"t": hearing["id"], "o": "o1"})
    assert wrong["extensions"]["fields"][0]["path"] == "topicId"
    first = (await resident.ok(kit.OPINION, {"t": hearing["id"], "x": "低楼层住户应少分摊"}))["submitConsultationOpinion"]
    again = (await resident.ok(kit.OPINION, {"t": hearing["id"], "x": "低楼层住户应少分摊"}))["submitConsultationOpinion"]
    assert again["id"] == first["id"]
    await resident.ok(kit.OPINION, {"t": hearing["id"], "x": "一楼住户不分摊"})  # rewritten until the deadline
    opinions = (await kit.admin.ok(kit.OPINIONS, {"t": hearing["id"]}))["consultationOpinions"]
    assert opinions["totalCount"] == 1 and opinions["edges"][0]["node"]["text"] == "一楼住户不分摊"
    await resident.error("FORBIDDEN", kit.OPINIONS, {"t": hearing["id"]})  # staff read opinions
    mine = await resident.ok("query($t: ID!) { myConsultationOpinion(topicId: $t) { text } }", {"t": hearing["id"]})
    assert mine["myConsultationOpinion"]["text"] == "一楼住户不分摊"
    topic = (await resident.ok(kit.TOPIC, {"id": hearing["id"]}))["consultationTopic"]
    assert topic["opinionCount"] == 1

    evaluation = await kit.open(kind="EVALUATION", title="物业服务季度评议", options=None)
    assert [o["label"] for o in evaluation["options"]] == ["满意", "基本满意", "不满意"]
    await resident.ok(kit.VOTE, {"t": evaluation["id"], "o": "o2"})
    await resident.ok(kit.OPINION, {"t": evaluation["id"], "x": "绿化养护不及时"})
    kit.clock.advance(days=3)
    late = await resident.error("CONFLICT", kit.OPINION, {"t": evaluation["id"], "x": "补充意见"})
    assert late["extensions"]["reason"] == "VOTING_CLOSED"
    await kit.admin.ok(kit.RESOLVE, {"id": evaluation["id"], "r": "督促物业整改绿化养护"})
    notes = (await resident.ok(kit.NOTES))["myNotifications"]
    assert notes["totalCount"] == 1  # one message although the resident voted and wrote


async def test_live_results_over_the_subscription(kit, community, socket_to):
    topic = await kit.open()
    resident = community.client("resident")
    sock = await socket_to(community, (await kit.resident(2)).token)
    sub = """subscription($t: ID!) { consultationResultsChanged(topicId: $t) { cursor
      results { totalVotes options { optionId votes } } } }"""
    await sock.subscribe("r", sub, {"t": topic["id"]})
    first = await sock.receive()
    assert first["type"] == "next", first
    snapshot = first["payload"]["data"]["consultationResultsChanged"]
    assert snapshot["cursor"] is None and snapshot["results"]["totalVotes"] == 0
    await resident.ok(kit.VOTE, {"t": topic["id"], "o": "o2"})
    live = (await sock.receive())["payload"]["data"]["consultationResultsChanged"]
    assert live["cursor"] and live["results"]["totalVotes"] == 1
    assert [o["votes"] for o in live["results"]["options"]] == [0, 1]
    await resident.ok(kit.VOTE, {"t": topic["id"], "o": "o1"})
    changed = (await sock.receive())["payload"]["data"]["consultationResultsChanged"]
    assert [o["votes"] for o in changed["results"]["options"]] == [1, 0]


async def test_results_hidden_until_the_deadline_when_configured(kit, community):
    await community.configure("consultation", {"liveResults": False})
    topic = await kit.open()
    resident = community.client("resident")
    await resident.ok(kit.VOTE, {"t": topic["id"], "o": "o1"})
    hidden = await resident.error("FORBIDDEN", kit.RESULTS, {"t": topic["id"]})
    assert hidden["extensions"]["reason"] == "RESULTS_HIDDEN"
    assert (await kit.admin.ok(kit.RESULTS, {"t": topic["id"]}))["consultationResults"]["totalVotes"] == 1
    kit.clock.advance(days=3)
    assert (await resident.ok(kit.RESULTS, {"t": topic["id"]}))["consultationResults"]["totalVotes"] == 1
