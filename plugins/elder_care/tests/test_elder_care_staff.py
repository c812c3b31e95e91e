"""Providers' staff and elder enrolment: binding codes, provider dispatchers, the least busy
provider, grid-scoped enrolment kept in sync with the resident record (`on_event`), and
switching the module off and on again (the data is kept)."""

from __future__ import annotations

WORKERS = "query($p: ID) { careWorkers(providerId: $p) { totalCount edges { node { id bound bindingCode } } } }"
PROFILES = "{ elderProfiles { totalCount edges { node { id gridId } } } }"
PROFILE = "query($id: ID!) { elderProfile(id: $id) { id tags name age subsidy { rule entitledMinutes } } }"


async def test_workers_dispatchers_and_enrolment(care):
    community = care.community
    # binding codes are single-use; resetting one unbinds the account
    registered = (await care.admin.ok(care.REGISTER_WORKER, {"i": {"providerId": care.provider_id,
                                                                   "name": "王调度", "canDispatch": True}}))
    code = registered["registerCareWorker"]["bindingCode"]
    dispatcher = await community.resident_client(3)  # provider staff logged in with WeChat
    bound = (await dispatcher.ok(care.BIND, {"c": code.lower()}))["bindCareWorkerAccount"]
    assert bound["bound"] is True and bound["bindingCode"] is None
    await care.stranger.error("BAD_USER_INPUT", care.BIND, {"c": code})
    listed = (await care.admin.ok(WORKERS, {"p": care.provider_id}))["careWorkers"]
    assert listed["totalCount"] == 2 and all(w["bound"] and w["bindingCode"] is None for w in
                                             (e["node"] for e in listed["edges"]))
    reset = await care.admin.ok("mutation($id: ID!) { resetCareWorkerBinding(id: $id) { bound bindingCode } }",
                                {"id": care.worker_id})
    fresh = reset["resetCareWorkerBinding"]
    assert fresh["bound"] is False and len(fresh["bindingCode"]) == 8
    await care.gw2.ok(care.BIND, {"c": fresh["bindingCode"]})

    # the provider's dispatcher sees and dispatches its orders, and its statement, nothing else
    order = await care.place()
    queue = await dispatcher.ok('{ careOrders(filter: {state: PLACED}) { edges { node { id providerId } } } }')
    assert order["id"] in {e["node"]["id"] for e in queue["careOrders"]["edges"]}
    assert {e["node"]["providerId"] for e in queue["careOrders"]["edges"]} == {care.provider_id}
    dispatched = (await dispatcher.ok(care.DISPATCH, {"id": order["id"], "w": care.worker_id}))["dispatchCareOrder"]
    assert dispatched["state"] == "DISPATCHED" and dispatched["timeline"][-1]["actorRole"] == "RESIDENT"
    staff = (await dispatcher.ok(WORKERS, {"p": None}))["careWorkers"]
    assert staff["totalCount"] == 2 and all(e["node"]["bindingCode"] is None for e in staff["edges"])
    await dispatcher.ok("query($p: ID!) { careProviderStatement(providerId: $p) { orderCount } }",
                        {"p": care.provider_id})

    # a second provider offering cleaning takes the next order (it is less busy)
    rival = await care.add_provider("安心家政", ["cleaning"])
    second = await care.place()
    assert second["providerId"] == rival
    await dispatcher.error("NOT_FOUND", care.ORDER, {"id": second["id"]})
    await dispatcher.error("FORBIDDEN", "query($p: ID!) { careProviderStatement(providerId: $p) { orderCount } }",
                           {"p": rival})
    assert (await dispatcher.ok(WORKERS, {"p": rival}))["careWorkers"]["totalCount"] == 0
    await care.admin.error("BAD_USER_INPUT", care.DISPATCH, {"id": second["id"], "w": care.worker_id})  # not theirs
    await care.gw1.error("FORBIDDEN", care.REGISTER_WORKER, {"i": {"providerId": rival, "name": "x"}})

    # grid workers enrol elders of their own grids only, and list only those
    await care.set_resident(6, gridId=community.grid_ids[0])
    await care.set_resident(7, gridId=community.grid_ids[1])
    enrol = {"homeAddress": "5栋101", "longitude": care.HOME[0], "latitude": care.HOME[1]}
    await care.gw1.ok(care.SAVE_ELDER, {"i": {"residentId": community.resident_ids[6], **enrol}})
    err = await care.gw1.error("BAD_USER_INPUT", care.SAVE_ELDER, {"i": {"residentId": community.resident_ids[7],
                                                                         **enrol}})
    assert err["extensions"]["fields"][0]["path"] == "input.residentId"
    mine = (await care.gw1.ok(PROFILES))["elderProfiles"]
    assert {e["node"]["gridId"] for e in mine["edges"]} == {community.grid_ids[0]}
    assert (await care.gw2.ok(PROFILES))["elderProfiles"]["totalCount"] == 0
    assert (await care.admin.ok(PROFILES))["elderProfiles"]["totalCount"] == 2
    await care.stranger.error("NOT_FOUND", PROFILE, {"id": care.elder_id})
    assert (await care.stranger.ok("{ myCareElders { id } }"))["myCareElders"] == []

    # the profile follows the resident record (on_event: resident_updated)
    await care.set_resident(0, tags=["ELDERLY", "LOW_INCOME"], name="周桂英")
    profile = (await care.guardian.ok(PROFILE, {"id": care.elder_id}))["elderProfile"]
    assert profile["name"] == "周桂英" and profile["tags"] == ["ELDERLY", "LOW_INCOME"] and profile["age"] >= 80
    assert profile["subsidy"] == {"rule": "高龄补贴（80周岁以上）", "entitledMinutes": 600}

    # switching the module off hides it from the community; switching it on again shows the same data
    await community.set_module("elder_care", False)
    await care.admin.error("MODULE_DISABLED", care.ORDER, {"id": order["id"]})
    await care.elder.error("MODULE_DISABLED", "{ myCareElders { id } }")
    await community.set_module("elder_care", True)
    assert (await care.elder.ok(care.ORDER, {"id": order["id"]}))["careOrder"]["state"] == "DISPATCHED"
