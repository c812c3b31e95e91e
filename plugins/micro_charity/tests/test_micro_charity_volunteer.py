"""Volunteer activities end to end: capacity under concurrent sign-ups (never over), check-in
and check-out by organisers, recorded hours earning points, and every refusal."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from community_plus_sdk.relay import nodes

ACTIVITY = "id title capacity signedUp spotsLeft pointsPerHour state mySignup { state hours points }"
CREATE = f"mutation($i: CharityActivityInput!) {{ createCharityActivity(input: $i) {{ {ACTIVITY} }} }}"
SIGN_UP = f"mutation($id: ID!) {{ signUpCharityActivity(id: $id) {{ {ACTIVITY} }} }}"
WITHDRAW = f"mutation($id: ID!) {{ cancelCharitySignup(activityId: $id) {{ {ACTIVITY} }} }}"
CHECK_IN = """mutation($a: ID!, $r: ID!) { checkInCharityVolunteer(activityId: $a, residentId: $r)
    { state checkedInAt } }"""
CHECK_OUT = """mutation($a: ID!, $r: ID!, $h: Float) { checkOutCharityVolunteer(activityId: $a, residentId: $r,
    hours: $h) { state hours points checkedOutAt } }"""


async def test_activity_capacity_checkin_hours_points(community, kit):
    worker = community.client("grid_worker")
    admin = community.client("community_admin")
    resident = community.client("resident")
    volunteers = [await community.resident_client(i) for i in (1, 2, 3, 4)]
    ids = community.resident_ids

    base = {"title": "敬老院陪伴", "location": "社区敬老院", "startsAt": kit.iso(timedelta(minutes=30)),
            "endsAt": kit.iso(timedelta(minutes=210)), "capacity": 2}
    await resident.error("FORBIDDEN", CREATE, {"i": base})
    bad = await worker.error("BAD_USER_INPUT", CREATE, {"i": {**base, "title": " ", "capacity": 0,
                                                              "startsAt": kit.iso(timedelta(hours=-1))}})
    assert kit.paths(bad) == {"input.title", "input.capacity", "input.startsAt"}
    bad = await worker.error("BAD_USER_INPUT", CREATE, {"i": {**base, "endsAt": kit.iso(timedelta(minutes=10))}})
    assert kit.paths(bad) == {"input.endsAt"}
    activity = (await worker.ok(CREATE, {"i": base}))["createCharityActivity"]
    aid = activity["id"]
    assert (activity["pointsPerHour"], activity["spotsLeft"], activity["state"]) == (10, 2, "OPEN")

    # four volunteers sign up at once for two places: exactly two get in, never more
    bodies = await asyncio.gather(*(v.execute(SIGN_UP, {"id": aid}) for v in volunteers))
    won = [i for i, b in enumerate(bodies) if not b.get("errors")]
    lost = [i for i, b in enumerate(bodies) if b.get("errors")]
    assert len(won) == 2, bodies
    assert {bodies[i]["errors"][0]["extensions"]["reason"] for i in lost} == {"FULL"}
    shown = (await volunteers[won[0]].ok("query($id: ID!) { charityActivity(id: $id) { signedUp spotsLeft mySignup { state } } }",
                                         {"id": aid}))["charityActivity"]
    assert shown == {"signedUp": 2, "spotsLeft": 0, "mySignup": {"state": "SIGNED_UP"}}
    again = await volunteers[won[0]].error("CONFLICT", SIGN_UP, {"id": aid})
    assert again["extensions"]["reason"] == "ALREADY_SIGNED_UP"
    await worker.error("FORBIDDEN", SIGN_UP, {"id": aid})

    # one withdraws; the place goes to someone else
    freed = (await volunteers[won[1]].ok(WITHDRAW, {"id": aid}))["cancelCharitySignup"]
    assert freed["signedUp"] == 1 and freed["mySignup"] is None
    await volunteers[won[1]].error("CONFLICT", WITHDRAW, {"id": aid})
    joined = (await volunteers[lost[0]].ok(SIGN_UP, {"id": aid}))["signUpCharityActivity"]
    assert joined["signedUp"] == 2 and joined["mySignup"]["state"] == "SIGNED_UP"
    a, b = ids[1 + won[0]], ids[1 + lost[0]]

    # organisers check volunteers in (the window opens before the start) and out with hours
    await resident.error("FORBIDDEN", CHECK_IN, {"a": aid, "r": a})
    await worker.error("NOT_FOUND", CHECK_IN, {"a": aid, "r": ids[1 + won[1]]})
    assert (await worker.ok(CHECK_IN, {"a": aid, "r": a}))["checkInCharityVolunteer"]["state"] == "CHECKED_IN"
    await worker.error("CONFLICT", CHECK_IN, {"a": aid, "r": a})
    await worker.error("CONFLICT", CHECK_OUT, {"a": aid, "r": b, "h": 1})
    await volunteers[won[0]].error("CONFLICT", WITHDRAW, {"id": aid})
    assert kit.paths(await worker.error("BAD_USER_INPUT", CHECK_OUT, {"a": aid, "r": a, "h": 3.5})) == {"hours"}
    assert kit.paths(await worker.error("BAD_USER_INPUT", CHECK_OUT, {"a": aid, "r": a, "h": 0})) == {"hours"}
    out = (await worker.ok(CHECK_OUT, {"a": aid, "r": a, "h": 2.5}))["checkOutCharityVolunteer"]
    assert (out["state"], out["hours"], out["points"]) == ("COMPLETED", 2.5, 25)
    await worker.error("CONFLICT", CHECK_OUT, {"a": aid, "r": a, "h": 1})
    # without hours, the time since check-in counts, in whole half hours (here: none yet)
    await admin.ok(CHECK_IN, {"a": aid, "r": b})
    out_b = (await admin.ok(CHECK_OUT, {"a": aid, "r": b}))["checkOutCharityVolunteer"]
    assert (out_b["hours"], out_b["points"]) == (0.0, 0)

    me = await volunteers[won[0]].ok("""{ myCharityPoints { balance earned volunteerHours }
        myCharityLedger { edges { node { delta kind hours refId } } } myCharitySignups { edges { node { state hours points } } } }""")
    assert me["myCharityPoints"] == {"balance": 25, "earned": 25, "volunteerHours": 2.5}
    assert nodes(me["myCharityLedger"]) == [{"delta": 25, "kind": "VOLUNTEER", "hours": 2.5, "refId": aid}]
    assert nodes(me["myCharitySignups"]) == [{"state": "COMPLETED", "hours": 2.5, "points": 25}]
    roster = (await worker.ok("query($a: ID!) { charityActivitySignups(activityId: $a) { totalCount edges { node { residentId state } } } }",
                              {"a": aid}))["charityActivitySignups"]
    assert roster["totalCount"] == 2 and {r["residentId"] for r in nodes(roster)} == {a, b}
    await resident.error("FORBIDDEN", "query($a: ID!) { charityActivitySignups(activityId: $a) { totalCount } }", {"a": aid})

    # an activity with volunteers checked in cannot be cancelled; a later one can, and then refuses sign-ups
    await worker.error("CONFLICT", "mutation($id: ID!) { cancelCharityActivity(id: $id) { id } }", {"id": aid})
    later = (await worker.ok(CREATE, {"i": {**base, "title": "河道清洁", "pointsPerHour": 20,
                                            "startsAt": kit.iso(timedelta(hours=5)),
                                            "endsAt": kit.iso(timedelta(hours=7))}}))["createCharityActivity"]
    assert later["pointsPerHour"] == 20
    await volunteers[0].ok(SIGN_UP, {"id": later["id"]})
    closed = await worker.error("CONFLICT", CHECK_IN, {"a": later["id"], "r": ids[1]})
    assert closed["extensions"]["reason"] == "CHECK_IN_CLOSED"
    cancelled = (await worker.ok("mutation($id: ID!) { cancelCharityActivity(id: $id) { state } }",
                                 {"id": later["id"]}))["cancelCharityActivity"]
    assert cancelled["state"] == "CANCELLED"
    await volunteers[1].error("CONFLICT", SIGN_UP, {"id": later["id"]})
    listing = (await volunteers[0].ok("{ charityActivities(upcoming: true) { totalCount edges { node { id mySignup { state } } } } }"))
    mine = {i["id"]: i["mySignup"] for i in nodes(listing["charityActivities"])}
    assert mine[later["id"]] == {"state": "SIGNED_UP"} and listing["charityActivities"]["totalCount"] == 2
