"""Subsidies through GraphQL: rules per community, subsidised vs paid amounts, the monthly
budget never exceeded (also under concurrent orders on the last hours and the last yuan),
refunds on cancellation, idempotent ordering and monthly statements."""

from __future__ import annotations

import asyncio

QUOTE = """query($i: CareOrderQuoteInput!) { careOrderQuote(input: $i) { subsidyFen paidFen subsidisedMinutes
  subsidyRule limitedBy } }"""
BUDGET = "query($m: String) { careSubsidyBudget(month: $m) { budgetFen spentFen remainingFen } }"
BALANCE = """query($e: ID!, $m: String) { careSubsidyBalance(elderId: $e, month: $m) { rule entitledMinutes
  usedMinutes usedFen remainingMinutes coveragePercent } }"""
RULES = [{"name": "高龄", "minAge": 80, "hoursPerMonth": 4},
         {"name": "低保", "minAge": 60, "tags": ["low_income"], "hoursPerMonth": 2, "coveragePercent": 50}]


def split(order: dict) -> tuple[int, int, int]:
    return order["subsidyFen"], order["paidFen"], order["subsidisedMinutes"]


async def outcomes(calls) -> tuple[list[dict], list[dict]]:
    """Successful orders and errors of concurrent placeCareOrder calls."""
    bodies = await asyncio.gather(*calls)
    ok = [b["data"]["placeCareOrder"] for b in bodies if not b.get("errors")]
    return ok, [b["errors"][0] for b in bodies if b.get("errors")]


async def test_rules_budget_and_refunds(care):
    bad = await care.community.client("community_admin").error(
        "BAD_USER_INPUT", "mutation($c: ID!, $s: JSON!) { updateModuleSettings(communityId: $c, module: "
                          "\"elder_care\", settings: $s) { name } }",
        {"c": care.community.id, "s": {"subsidyRules": [{"name": "x", "hoursPerMonth": 1, "coveragePercent": 150}]}})
    assert bad["extensions"]["code"] == "BAD_USER_INPUT"
    await care.community.configure("elder_care", {"monthlyBudgetYuan": 150, "subsidyRules": RULES})
    low_income = 3
    await care.enrol(low_income, birth="1960-01-01", tags=["ELDERLY", "LOW_INCOME"])
    poor = await care.community.resident_client(low_income)

    first = await care.place()  # 2 h cleaning, 60 yuan: fully subsidised
    month = first["month"]
    assert split(first) == (6000, 0, 120) and first["subsidyRule"] == "高龄"
    assert split(await care.place()) == (6000, 0, 120)  # 4 h used; 120 of 150 yuan spent
    cleaning = {"itemId": care.items["cleaning"], "slotStart": care.soon()}
    quote = (await care.elder.ok(QUOTE, {"i": cleaning}))["careOrderQuote"]
    assert quote == {"subsidyFen": 0, "paidFen": 6000, "subsidisedMinutes": 0, "subsidyRule": None,
                     "limitedBy": "hours"}
    err = await care.elder.error("CONFLICT", care.PLACE, {"i": {**cleaning, "maxPaidFen": 0}})
    assert err["extensions"]["reason"] == "SUBSIDY_HOURS_EXHAUSTED"
    paid = await care.place()
    assert split(paid) == (0, 6000, 0) and paid["subsidyRule"] is None

    # low income, 50 % coverage; the budget has 30 yuan left
    talk = await care.place(poor, "companionship")  # 1 h, 40 yuan
    assert split(talk) == (2000, 2000, 60) and talk["subsidyRule"] == "低保"
    talk_quote = (await poor.ok(QUOTE, {"i": {"itemId": care.items["companionship"],
                                              "slotStart": care.soon(90)}}))["careOrderQuote"]
    assert talk_quote["limitedBy"] == "budget" and talk_quote["subsidyFen"] == 1000
    capped = await care.place(poor, "companionship", minutes=90, maxPaidFen=3000)
    assert split(capped) == (1000, 3000, 30)
    err = await poor.error("CONFLICT", care.PLACE, {"i": {"itemId": care.items["companionship"],
                                                          "slotStart": care.soon(), "maxPaidFen": 0}})
    assert err["extensions"]["reason"] == "SUBSIDY_BUDGET_EXHAUSTED"
    assert (await care.admin.ok(BUDGET, {"m": month}))["careSubsidyBudget"] == {
        "budgetFen": 15000, "spentFen": 15000, "remainingFen": 0}

    # cancelling restores both the elder's hours and the budget
    await care.guardian.ok(care.CANCEL, {"id": first["id"], "r": "住院"})
    assert (await care.admin.ok(BUDGET, {"m": month}))["careSubsidyBudget"]["spentFen"] == 9000
    balance = (await care.guardian.ok(BALANCE, {"e": care.elder_id, "m": month}))["careSubsidyBalance"]
    assert balance == {"rule": "高龄", "entitledMinutes": 240, "usedMinutes": 120, "usedFen": 6000,
                       "remainingMinutes": 120, "coveragePercent": 100}
    mine = (await care.guardian.ok("{ myCareElders { id subsidy { remainingMinutes } } }"))["myCareElders"]
    assert mine == [{"id": care.elder_id, "subsidy": {"remainingMinutes": 120}}]

    statement = (await care.elder.ok(
        """query($e: ID!, $m: String) { careElderStatement(elderId: $e, month: $m) {
             orderCount totalFen subsidyFen paidFen subsidisedMinutes lines { state } } }""",
        {"e": care.elder_id, "m": month}))["careElderStatement"]
    assert statement == {"orderCount": 2, "totalFen": 12000, "subsidyFen": 6000, "paidFen": 6000,
                         "subsidisedMinutes": 120, "lines": [{"state": "PLACED"}, {"state": "PLACED"}]}
    provider = (await care.admin.ok(
        """query($p: ID!, $m: String) { careProviderStatement(providerId: $p, month: $m) {
             orderCount subsidyFen paidFen items { itemName orderCount subsidyFen paidFen } } }""",
        {"p": care.provider_id, "m": month}))["careProviderStatement"]
    assert provider == {"orderCount": 4, "subsidyFen": 9000, "paidFen": 11000, "items": [
        {"itemName": "居家保洁", "orderCount": 2, "subsidyFen": 6000, "paidFen": 6000},
        {"itemName": "陪伴聊天", "orderCount": 2, "subsidyFen": 3000, "paidFen": 5000}]}


async def test_concurrent_orders_on_the_last_subsidy(care):
    # the elder has 2 subsidised hours: six concurrent 2-hour orders that insist on full coverage
    await care.community.configure("elder_care", {"monthlyBudgetYuan": 1000, "subsidyRules": [
        {"name": "高龄", "minAge": 80, "hoursPerMonth": 2}]})
    calls = [care.elder.execute(care.PLACE, {"i": {"itemId": care.items["cleaning"], "slotStart": care.soon(),
                                                   "maxPaidFen": 0}}) for _ in range(6)]
    ok, errors = await outcomes(calls)
    assert len(ok) == 1 and split(ok[0]) == (6000, 0, 120)
    assert [e["extensions"]["reason"] for e in errors] == ["SUBSIDY_HOURS_EXHAUSTED"] * 5
    month = ok[0]["month"]
    # without a limit, concurrent orders go through: none of them can be subsidised any more
    ok, errors = await outcomes([care.elder.execute(care.PLACE, {"i": {
        "itemId": care.items["bathing"], "slotStart": care.soon()}}) for _ in range(4)])
    assert not errors and [split(o) for o in ok] == [(0, 8000, 0)] * 4

    # 60 yuan spent; the budget has exactly 60 yuan left: two elders race for it
    await care.community.configure("elder_care", {"monthlyBudgetYuan": 120, "subsidyRules": [
        {"name": "高龄", "minAge": 80, "hoursPerMonth": 100}]})
    await care.enrol(4)
    other = await care.community.resident_client(4)
    ok, errors = await outcomes([client.execute(care.PLACE, {"i": {
        "itemId": care.items["cleaning"], "slotStart": care.soon(), "maxPaidFen": 0}})
        for client in (care.elder, other, care.elder, other)])
    assert len(ok) == 1 and split(ok[0]) == (6000, 0, 120)
    assert {e["extensions"]["reason"] for e in errors} == {"SUBSIDY_BUDGET_EXHAUSTED"}
    assert (await care.admin.ok(BUDGET, {"m": month}))["careSubsidyBudget"] == {
        "budgetFen": 12000, "spentFen": 12000, "remainingFen": 0}
    # partial grants under contention still add up to the budget, never more
    await care.community.configure("elder_care", {"monthlyBudgetYuan": 150})
    ok, errors = await outcomes([client.execute(care.PLACE, {"i": {
        "itemId": care.items["cleaning"], "slotStart": care.soon()}}) for client in (care.elder, other) * 3])
    assert not errors and sum(o["subsidyFen"] for o in ok) == 3000
    assert (await care.admin.ok(BUDGET, {"m": month}))["careSubsidyBudget"]["spentFen"] == 15000

    # retried requests with one idempotency key order once
    count = "{ careOrders { totalCount } }"
    before = (await care.admin.ok(count))["careOrders"]["totalCount"]
    retry = {"i": {"itemId": care.items["companionship"], "slotStart": care.soon(600), "idempotencyKey": "k-42",
                   "elderId": care.elder_id}}
    bodies = await asyncio.gather(*[care.guardian.execute(care.PLACE, retry) for _ in range(5)])
    assert all(not b.get("errors") for b in bodies), bodies
    assert len({b["data"]["placeCareOrder"]["id"] for b in bodies}) == 1
    assert (await care.admin.ok(count))["careOrders"]["totalCount"] == before + 1
    await care.guardian.error("CONFLICT", care.PLACE, {"i": {**retry["i"], "note": "different"}})
