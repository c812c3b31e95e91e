"""The whole flow through GraphQL: order → dispatch → check-in → check-out with a service
record and a photo → the family confirms and rates → statements and dashboard figures."""

from __future__ import annotations


async def test_full_visit_flow(care):
    quote = (await care.elder.ok(
        """query($i: CareOrderQuoteInput!) { careOrderQuote(input: $i) {
             providerId totalFen subsidyFen paidFen subsidisedMinutes subsidyRule limitedBy } }""",
        {"i": {"itemId": care.items["cleaning"], "slotStart": care.soon()}}))["careOrderQuote"]
    assert quote == {"providerId": care.provider_id, "totalFen": 6000, "subsidyFen": 6000, "paidFen": 0,
                     "subsidisedMinutes": 120, "subsidyRule": "高龄补贴（80周岁以上）", "limitedBy": None}

    order = await care.place(note="请带上吸尘器")
    assert order["state"] == "PLACED" and order["providerId"] == care.provider_id
    assert (order["totalFen"], order["subsidyFen"], order["paidFen"]) == (6000, 6000, 0)

    dispatched = (await care.admin.ok(care.DISPATCH, {"id": order["id"], "w": care.worker_id}))["dispatchCareOrder"]
    assert dispatched["state"] == "DISPATCHED" and dispatched["workerName"] == "张护理"

    visits = (await care.gw2.ok("{ myCareVisits { id state elderName homeAddress homeLongitude } }"))["myCareVisits"]
    assert [v["id"] for v in visits] == [order["id"]] and visits[0]["homeAddress"] == "3栋2单元501"

    far = await care.gw2.error("BAD_USER_INPUT", care.CHECK_IN, {"i": {
        "orderId": order["id"], "longitude": care.FAR[0], "latitude": care.FAR[1]}})
    assert far["extensions"]["reason"] == "TOO_FAR_FROM_HOME" and far["extensions"]["distanceMeters"] > 2000
    assert {f["path"] for f in far["extensions"]["fields"]} == {"input.longitude", "input.latitude"}

    check_in = {"i": {"orderId": order["id"], "longitude": care.NEAR[0], "latitude": care.NEAR[1]}}
    inside = (await care.gw2.ok(care.CHECK_IN, check_in))["checkInCareVisit"]
    assert inside["state"] == "IN_SERVICE" and 0 < inside["checkIn"]["distanceMeters"] < 300
    assert (await care.gw2.ok(care.CHECK_IN, check_in))["checkInCareVisit"]["state"] == "IN_SERVICE"

    photo = await care.upload_photo(care.gw2)
    done = (await care.gw2.ok(care.CHECK_OUT, {"i": {
        "orderId": order["id"], "longitude": care.NEAR[0], "latitude": care.NEAR[1],
        "summary": "清洁厨房与卫生间，整理衣物", "tasks": ["厨房", "卫生间"], "photoIds": [photo]}}))["checkOutCareVisit"]
    assert done["state"] == "COMPLETED" and done["photoIds"] == [photo] and done["actualMinutes"] >= 1
    assert done["serviceSummary"] == "清洁厨房与卫生间，整理衣物"
    attached = await care.admin.ok("query($id: ID!) { file(id: $id) { state } }", {"id": photo})
    assert attached["file"]["state"] == "ATTACHED"

    confirmed = (await care.guardian.ok(care.CONFIRM, {"i": {"orderId": order["id"], "rating": 5,
                                                        "comment": "很细心"}}))["confirmCareOrder"]
    assert confirmed["state"] == "CONFIRMED" and confirmed["rating"] == 5
    assert [e["action"] for e in confirmed["timeline"]] == ["place", "dispatch", "check_in", "check_out", "confirm"]
    assert confirmed["timeline"][-1]["actorRole"] == "RESIDENT"  # as Role spells it

    # the elder, the family and the worker all see the record
    for client in (care.elder, care.guardian, care.gw2, care.gw1, care.admin):
        assert (await client.ok(care.ORDER, {"id": order["id"]}))["careOrder"]["state"] == "CONFIRMED"
    listed = await care.guardian.ok("{ careOrders { totalCount edges { node { id } } } }")
    assert listed["careOrders"]["totalCount"] == 1

    month = care.month_of(order["slotStart"])
    statement = (await care.guardian.ok(
        """query($e: ID!, $m: String) { careElderStatement(elderId: $e, month: $m) {
             orderCount completedCount totalFen subsidyFen paidFen subsidisedMinutes averageRating
             lines { orderId state rating } } }""", {"e": care.elder_id, "m": month}))["careElderStatement"]
    assert statement == {"orderCount": 1, "completedCount": 1, "totalFen": 6000, "subsidyFen": 6000, "paidFen": 0,
                         "subsidisedMinutes": 120, "averageRating": 5.0,
                         "lines": [{"orderId": order["id"], "state": "CONFIRMED", "rating": 5}]}
    provider = (await care.admin.ok(
        """query($p: ID!, $m: String) { careProviderStatement(providerId: $p, month: $m) {
             orderCount completedCount subsidyFen paidFen ratingCount averageRating
             items { itemName orderCount subsidyFen } } }""", {"p": care.provider_id, "m": month}))
    assert provider["careProviderStatement"] == {
        "orderCount": 1, "completedCount": 1, "subsidyFen": 6000, "paidFen": 0, "ratingCount": 1,
        "averageRating": 5.0, "items": [{"itemName": "居家保洁", "orderCount": 1, "subsidyFen": 6000}]}

    stats = (await care.admin.ok("{ moduleStatistics { module key value } }"))["moduleStatistics"]
    figures = {s["key"]: s["value"] for s in stats if s["module"] == "elder_care"}
    assert figures["orders"] == 1 and figures["completed_visits"] == 1 and figures["subsidy_used"] == 60.0
    assert figures["average_rating"] == 5.0 and figures["overdue_visits"] == 0 and figures["service_hours"] >= 0
