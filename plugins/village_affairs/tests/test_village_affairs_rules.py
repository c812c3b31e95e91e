"""What is refused (stable codes), retries, and community boundaries: nothing of another
community is visible, and staff of other communities are refused."""

from __future__ import annotations

import ast
from pathlib import Path


async def test_bad_input_answers_stable_codes(kit, community):
    admin, resident = kit.admin, community.client("resident")
    kit.clock.set(2030, 4, 5)
    bad = await admin.error("BAD_USER_INPUT", kit.PUBLISH, {"i": {
        "category": "FINANCES", "title": " ", "period": "2030-13", "publishAt": kit.at(2030, 4, 1),
        "expiresAt": kit.at(2030, 3, 1)}})
    assert {f["path"] for f in bad["extensions"]["fields"]} == {"input.title", "input.period", "input.publishAt",
                                                                "input.expiresAt"}
    file = await admin.error("BAD_USER_INPUT", kit.PUBLISH, {"i": {"category": "ASSETS", "title": "资产清单",
                                                                   "attachmentIds": ["0" * 24]}})
    assert file["extensions"]["fields"][0]["path"] == "input.attachmentIds.0"
    assert (await admin.ok(kit.DISCLOSURES))["villageDisclosures"]["totalCount"] == 0  # nothing half-created
    finances = (await admin.ok(kit.ADOPT, {"y": 2030}))["adoptStandardVillageDisclosureCatalogue"][0]
    wrong = await admin.error("BAD_USER_INPUT", kit.PUBLISH, {"i": {"category": "ASSETS", "title": "t",
                                                                    "requirementId": finances["id"], "period": "2030-03"}})
    assert wrong["extensions"]["fields"][0]["path"] == "input.category"
    period = await admin.error("BAD_USER_INPUT", kit.PUBLISH, {"i": {"category": "FINANCES", "title": "t",
                                                                     "requirementId": finances["id"], "period": "2030-Q1"}})
    assert period["extensions"]["fields"][0]["path"] == "input.period"
    missing = await admin.error("BAD_USER_INPUT", kit.PUBLISH, {"i": {"category": "FINANCES", "title": "t",
                                                                      "requirementId": "0" * 24, "period": "2030-03"}})
    assert missing["extensions"]["fields"][0]["path"] == "input.requirementId"
    await resident.error("FORBIDDEN", kit.PUBLISH, {"i": {"category": "FINANCES", "title": "居民发布"}})
    await community.client("grid_worker").error("FORBIDDEN", kit.ADOPT, {"y": 2030})
    state = await resident.error("BAD_USER_INPUT", kit.DISCLOSURES, {"f": {"state": "SCHEDULED"}})
    assert state["extensions"]["fields"][0]["path"] == "filter.state"
    assert (await resident.error("BAD_USER_INPUT", kit.DISCLOSURES, {"after": "nope"}))["extensions"]["fields"][0][
        "path"] == "after"
    await resident.error("BAD_USER_INPUT", kit.SUMMARY, {"y": 1800})
    await resident.error("BAD_USER_INPUT", kit.CATALOGUE, {"y": 2030, "after": "bm9wZQ=="})
    await resident.error("NOT_FOUND", kit.DISCLOSURE, {"id": "0" * 24})
    assert (await resident.error("BAD_USER_INPUT", kit.READ, {"id": "../x"}))["extensions"]["fields"][0]["path"] == "id"
    disclosure = await kit.publish()
    empty = await resident.error("BAD_USER_INPUT", kit.ASK, {"d": disclosure["id"], "t": " "})
    assert empty["extensions"]["fields"][0]["path"] == "text"
    await admin.error("FORBIDDEN", kit.ASK, {"d": disclosure["id"], "t": "工作人员提问"})
    question = (await resident.ok(kit.ASK, {"d": disclosure["id"], "t": "收入明细在哪里看？"}))["askVillageAffairsQuestion"]
    await resident.error("FORBIDDEN", kit.ANSWER, {"id": question["id"], "a": "自问自答"})
    assert (await admin.error("BAD_USER_INPUT", kit.ANSWER, {"id": question["id"], "a": ""}))["extensions"]["fields"][0][
        "path"] == "answer"


async def test_retries_do_not_duplicate(kit, community):
    kit.clock.set(2030, 4, 5)
    token = community.tokens["community_admin"]
    variables = {"i": {"category": "PROJECTS", "title": "道路硬化工程公示"}}
    one = await kit.post(kit.PUBLISH, variables, token, "publish-1")
    two = await kit.post(kit.PUBLISH, variables, token, "publish-1")
    assert one["data"]["publishVillageDisclosure"]["id"] == two["data"]["publishVillageDisclosure"]["id"]
    assert (await kit.admin.ok(kit.DISCLOSURES))["villageDisclosures"]["totalCount"] == 1
    disclosure_id = one["data"]["publishVillageDisclosure"]["id"]
    resident = community.client("resident")
    for key in ("read-1", "read-1", "read-2"):
        await kit.post(kit.READ, {"id": disclosure_id}, resident.token, key)
    assert (await kit.admin.ok(kit.DISCLOSURE, {"id": disclosure_id}))["villageDisclosure"]["readCount"] == 1
    ask = {"d": disclosure_id, "t": "工程什么时候完工？"}
    await kit.post(kit.ASK, ask, resident.token, "ask-1")
    await kit.post(kit.ASK, ask, resident.token, "ask-1")
    assert (await kit.admin.ok(kit.QUESTIONS, {"d": disclosure_id}))["villageAffairsQuestions"]["totalCount"] == 1


async def test_nothing_crosses_communities(kit, community):
    kit.clock.set(2030, 4, 5)
    other = community.other
    await other.set_module("village_affairs", True)
    theirs = await kit.publish(other.client("community_admin"), title="B村财务公开")
    ours = await kit.publish(title="A村财务公开")
    await other.client("community_admin").ok(kit.ADOPT, {"y": 2030})
    resident = community.client("resident")
    await resident.error("NOT_FOUND", kit.DISCLOSURE, {"id": theirs["id"]})
    await resident.error("NOT_FOUND", kit.READ, {"id": theirs["id"]})
    await resident.error("NOT_FOUND", kit.ASK, {"d": theirs["id"], "t": "问别村"})
    await kit.admin.error("NOT_FOUND", kit.WITHDRAW, {"id": theirs["id"]})
    await kit.admin.error("NOT_FOUND", kit.QUESTIONS, {"d": theirs["id"]})
    assert [e["node"]["id"] for e in (await resident.ok(kit.DISCLOSURES))["villageDisclosures"]["edges"]] == [ours["id"]]
    assert (await resident.ok(kit.SUMMARY, {"y": 2030}))["villageDisclosureCatalogueSummary"]["periods"] == 0
    await other.client("resident").error("NOT_FOUND", kit.DISCLOSURE, {"id": ours["id"]})
    question = (await other.client("resident").ok(kit.ASK, {"d": theirs["id"], "t": "B村的问题"}))
    await kit.admin.error("NOT_FOUND", kit.ANSWER, {"id": question["askVillageAffairsQuestion"]["id"], "a": "越权答复"})
    for role in ("community_admin", "grid_worker", "resident"):  # B's people pointing at A are refused
        body = await kit.as_staff_of_other(role).execute(kit.DISCLOSURES, {})
        assert body["data"] is None and [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"], body
    anonymous = await community.anonymous().execute("{ villageDisclosures { totalCount } }")
    assert anonymous["data"] is None and {e["extensions"]["code"] for e in anonymous["errors"]} <= {
        "UNAUTHENTICATED", "MODULE_DISABLED"}


def test_the_module_imports_only_the_sdk():
    root = Path(__file__).parents[1]
    for path in [*root.glob("village_affairs/*.py"), *root.glob("tests/*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            assert not [n for n in names if n == "community_plus" or n.startswith("community_plus.")], path
