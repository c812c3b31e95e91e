"""村务公开 end to end: the yearly catalogue, a disclosure on time with an attachment, one
scheduled and published later, expiry, read counts, a resident's question answered (and
notified), withdrawals, the overdue catalogue and the dashboard."""

from __future__ import annotations


def ids(data: dict, field: str) -> list[str]:
    return [e["node"]["id"] for e in data[field]["edges"]]


async def test_catalogue_schedule_reads_questions_expiry(kit, community):
    admin, resident = kit.admin, community.client("resident")
    kit.clock.set(2030, 4, 5)
    catalogue = (await admin.ok(kit.ADOPT, {"y": 2030}))["adoptStandardVillageDisclosureCatalogue"]
    again = (await admin.ok(kit.ADOPT, {"y": 2030}))["adoptStandardVillageDisclosureCatalogue"]
    assert [r["id"] for r in again] == [r["id"] for r in catalogue] and len(catalogue) == 5  # idempotent
    finances = next(r for r in catalogue if r["category"] == "FINANCES")
    assert finances["frequency"] == "MONTHLY"

    photo = await kit.upload(admin)
    march = await kit.publish(title="3月财务收支公开", period="2030-03", requirementId=finances["id"],
                              attachmentIds=[photo])
    assert march["state"] == "PUBLISHED" and march["attachmentIds"] == [photo]
    april = await kit.publish(title="4月财务收支公开", period="2030-04", requirementId=finances["id"],
                              publishAt=kit.at(2030, 5, 8), expiresAt=kit.at(2030, 6, 30))
    assert april["state"] == "SCHEDULED"
    assert ids(await resident.ok(kit.DISCLOSURES), "villageDisclosures") == [march["id"]]
    await resident.error("NOT_FOUND", kit.DISCLOSURE, {"id": april["id"]})  # not public yet
    await resident.error("NOT_FOUND", kit.READ, {"id": april["id"]})
    staff = await admin.ok(kit.DISCLOSURES, {"f": {"state": "SCHEDULED"}})
    assert ids(staff, "villageDisclosures") == [april["id"]]

    kit.clock.set(2030, 5, 20)  # April's disclosure went out on May 8, before its due date (May 10)
    public = await resident.ok(kit.DISCLOSURES, {"f": {"category": "FINANCES"}})
    assert ids(public, "villageDisclosures") == [april["id"], march["id"]]
    for client in (resident, resident, await community.resident_client(1), admin):
        await client.ok(kit.READ, {"id": april["id"]})
    assert (await admin.ok(kit.DISCLOSURE, {"id": april["id"]}))["villageDisclosure"]["readCount"] == 2

    summary = (await admin.ok(kit.SUMMARY, {"y": 2030}))["villageDisclosureCatalogueSummary"]
    assert summary == {"periods": 25, "disclosed": 2, "disclosedLate": 0, "scheduled": 0, "pending": 18, "overdue": 5}
    overdue = (await resident.ok(kit.CATALOGUE, {"y": 2030, "s": "OVERDUE", "first": 3}))["villageDisclosureCatalogue"]
    rest = (await resident.ok(kit.CATALOGUE, {"y": 2030, "s": "OVERDUE", "after": overdue["pageInfo"]["endCursor"]}))
    entries = [e["node"] for e in overdue["edges"] + rest["villageDisclosureCatalogue"]["edges"]]
    assert overdue["totalCount"] == 5 and overdue["pageInfo"]["hasNextPage"] is True
    assert sorted((e["requirement"]["category"], e["period"]) for e in entries) == [
        ("DECISIONS", "2030-Q1"), ("FINANCES", "2030-01"), ("FINANCES", "2030-02"), ("PROJECTS", "2030-Q1"),
        ("SUBSIDIES", "2030-Q1")]

    asked = (await resident.ok(kit.ASK, {"d": april["id"], "t": "道路维修费用由哪家单位承接？"}))["askVillageAffairsQuestion"]
    neighbour = await community.resident_client(1)
    assert (await neighbour.ok(kit.QUESTIONS, {"d": april["id"]}))["villageAffairsQuestions"]["totalCount"] == 0
    queue = (await admin.ok(kit.QUESTIONS, {"s": "ASKED"}))["villageAffairsQuestions"]
    assert [e["node"]["id"] for e in queue["edges"]] == [asked["id"]]
    answer = {"id": asked["id"], "a": "由镇公开招标确定的施工单位承接，合同已附后。"}
    answered = (await admin.ok(kit.ANSWER, answer))["answerVillageAffairsQuestion"]
    assert answered["state"] == "ANSWERED" and answered["answeredByName"]
    assert (await admin.ok(kit.ANSWER, answer))["answerVillageAffairsQuestion"] == answered  # a retry
    other = await admin.error("CONFLICT", kit.ANSWER, {"id": asked["id"], "a": "另一个答复"})
    assert other["extensions"]["reason"] == "ALREADY_ANSWERED"
    public_qa = (await neighbour.ok(kit.QUESTIONS, {"d": april["id"]}))["villageAffairsQuestions"]
    assert [e["node"]["answer"] for e in public_qa["edges"]] == [answer["a"]]
    notes = (await resident.ok(kit.NOTES))["myNotifications"]["edges"]
    assert [n["node"] for n in notes] == [{"title": "您的村务提问已答复", "state": "已答复",
                                           "page": f"/pages/village_affairs/detail?id={april['id']}"}]
    assert (await admin.ok(kit.DISCLOSURE, {"id": april["id"]}))["villageDisclosure"]["questionCount"] == 1

    stats = {s["key"]: s["value"] for s in (await admin.ok(kit.STATS, {"s": kit.at(2030, 4, 1), "u": kit.at(2030, 6, 1)}))[
        "moduleStatistics"] if s["module"] == "village_affairs"}
    assert stats["disclosures_published"] == 2 and stats["reads"] == 2 and stats["overdue"] == 5

    kit.clock.set(2030, 7, 1)  # April's disclosure expired on June 30
    assert ids(await resident.ok(kit.DISCLOSURES), "villageDisclosures") == [march["id"]]
    await resident.error("NOT_FOUND", kit.DISCLOSURE, {"id": april["id"]})
    assert (await admin.ok(kit.DISCLOSURE, {"id": april["id"]}))["villageDisclosure"]["state"] == "EXPIRED"

    assert (await admin.ok(kit.WITHDRAW, {"id": march["id"]}))["withdrawVillageDisclosure"]["state"] == "WITHDRAWN"
    assert (await admin.ok(kit.WITHDRAW, {"id": march["id"]}))["withdrawVillageDisclosure"]["state"] == "WITHDRAWN"
    assert (await resident.ok(kit.DISCLOSURES))["villageDisclosures"]["totalCount"] == 0
    summary = (await admin.ok(kit.SUMMARY, {"y": 2030}))["villageDisclosureCatalogueSummary"]
    assert summary["disclosed"] == 1 and summary["overdue"] == 7  # March withdrawn, May (due June 10) late
