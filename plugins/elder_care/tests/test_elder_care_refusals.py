"""Every refusal path through GraphQL: disabled module, wrong role, wrong state, wrong worker,
out-of-scope reads, bad input (with field paths), too early, double booking."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def paths(err: dict) -> set[str]:
    return {f["path"] for f in err["extensions"]["fields"]}


async def test_disabled_module_and_wrong_roles(care):
    other = care.community.other
    for role in ("community_admin", "resident"):
        await other.client(role).error("MODULE_DISABLED", "{ careOrders { totalCount } }")
    await other.client("community_admin").error(
        "MODULE_DISABLED", care.PLACE, {"i": {"itemId": care.items["cleaning"], "slotStart": care.soon()}})
    await other.client("community_admin").error("MODULE_DISABLED", "{ careProviders { totalCount } }")

    provider = "mutation { createCareProvider(input: {name: \"x\"}) { id } }"
    await care.elder.error("FORBIDDEN", provider)
    await care.gw1.error("FORBIDDEN", provider)
    await care.elder.error("FORBIDDEN", "mutation { createCareServiceItem(input: {name: \"x\", category: \"cleaning\", "
                                        "priceFen: 1, durationMinutes: 30}) { id } }")
    await care.elder.error("FORBIDDEN", care.REGISTER_WORKER, {"i": {"providerId": care.provider_id, "name": "x"}})
    await care.elder.error("FORBIDDEN", care.SAVE_ELDER, {"i": {
        "residentId": care.elder_id, "homeAddress": "x", "longitude": 1.0, "latitude": 1.0}})
    for query in ("{ careSubsidyBudget { budgetFen } }", "{ careAlerts { totalCount } }",
                  "{ careWorkers { totalCount } }", "{ elderProfiles { totalCount } }"):
        await care.elder.error("FORBIDDEN", query)
    await care.elder.error("FORBIDDEN", "query($p: ID!) { careProviderStatement(providerId: $p) { orderCount } }",
                           {"p": care.provider_id})

    # ordering for someone else: only self, wards (guardian) or elders of one's grids (staff)
    for_elder = {"i": {"itemId": care.items["cleaning"], "slotStart": care.soon(), "elderId": care.elder_id}}
    await care.stranger.error("FORBIDDEN", care.PLACE, for_elder)
    await care.gw2.error("FORBIDDEN", care.PLACE, for_elder)  # grid worker of another grid
    by_guardian = (await care.guardian.ok(care.PLACE, for_elder))["placeCareOrder"]
    by_grid_worker = (await care.gw1.ok(care.PLACE, for_elder))["placeCareOrder"]
    assert by_guardian["elderId"] == by_grid_worker["elderId"] == care.elder_id

    order = await care.place()
    await care.stranger.error("NOT_FOUND", care.ORDER, {"id": order["id"]})
    await care.stranger.error("NOT_FOUND", care.CANCEL, {"id": order["id"]})
    await care.gw2.error("NOT_FOUND", care.ORDER, {"id": order["id"]})  # not dispatched to them (yet)
    await care.gw1.error("FORBIDDEN", care.DISPATCH, {"id": order["id"], "w": care.worker_id})
    await care.elder.error("FORBIDDEN", care.DISPATCH, {"id": order["id"], "w": care.worker_id})
    await care.admin.ok(care.DISPATCH, {"id": order["id"], "w": care.worker_id})
    at_home = {"i": {"orderId": order["id"], "longitude": care.NEAR[0], "latitude": care.NEAR[1]}}
    await care.gw1.error("FORBIDDEN", care.CHECK_IN, at_home)  # sees the order (their grid), is not its worker
    await care.admin.error("FORBIDDEN", care.CHECK_IN, at_home)
    await care.gw2.error("FORBIDDEN", care.CANCEL, {"id": order["id"]})  # the worker cannot cancel for the elder
    await care.gw2.ok(care.CHECK_IN, at_home)
    await care.gw2.error("FORBIDDEN", care.CONFIRM, {"i": {"orderId": order["id"], "rating": 5}})


async def test_wrong_states_timing_booking_and_inputs(care):
    order = await care.dispatched()
    oid = order["id"]
    at_home = {"orderId": oid, "longitude": care.NEAR[0], "latitude": care.NEAR[1]}
    out = {"i": {**at_home, "summary": "已完成保洁"}}
    err = await care.gw2.error("CONFLICT", care.CHECK_OUT, out)
    assert err["extensions"]["state"] == "DISPATCHED"  # as CareOrderState spells it
    await care.elder.error("CONFLICT", care.CONFIRM, {"i": {"orderId": oid, "rating": 5}})
    await care.gw2.ok(care.CHECK_IN, {"i": at_home})
    await care.elder.error("CONFLICT", care.CANCEL, {"id": oid})
    await care.admin.error("CONFLICT", care.DISPATCH, {"id": oid, "w": care.worker_id})
    err = await care.gw2.error("BAD_USER_INPUT", care.CHECK_OUT, {"i": {
        **at_home, "summary": "  ", "tasks": ["x" * 51], "photoIds": ["not-a-file"]}})
    assert paths(err) == {"input.summary", "input.tasks.0", "input.photoIds.0"}
    err = await care.gw2.error("BAD_USER_INPUT", care.CHECK_OUT, {"i": {**out["i"], "photoIds": ["0" * 24]}})
    assert paths(err) == {"input.photoIds.0"}  # no such file, named where it was given (not media's fileIds.0)
    await care.gw2.error("BAD_USER_INPUT", care.CHECK_OUT, {"i": {**out["i"], "longitude": care.FAR[0],
                                                                  "latitude": care.FAR[1]}})
    await care.gw2.ok(care.CHECK_OUT, out)
    assert (await care.gw2.ok(care.CHECK_OUT, out))["checkOutCareVisit"]["state"] == "COMPLETED"  # a retry
    await care.gw2.error("CONFLICT", care.CHECK_IN, {"i": at_home})
    err = await care.elder.error("BAD_USER_INPUT", care.CONFIRM, {"i": {"orderId": oid, "rating": 9,
                                                                        "comment": "好" * 301}})
    assert paths(err) == {"input.rating", "input.comment"}

    cancelled = await care.place()
    await care.elder.ok(care.CANCEL, {"id": cancelled["id"], "r": "临时有事"})
    await care.elder.error("CONFLICT", care.CANCEL, {"id": cancelled["id"]})
    await care.admin.error("CONFLICT", care.DISPATCH, {"id": cancelled["id"], "w": care.worker_id})

    # too early to check in; a worker cannot be in two homes at once
    later = await care.dispatched(minutes=300)
    err = await care.gw2.error("CONFLICT", care.CHECK_IN, {"i": {**at_home, "orderId": later["id"]}})
    assert err["extensions"]["reason"] == "TOO_EARLY"
    clash = await care.place(minutes=330, category="bathing")
    err = await care.admin.error("CONFLICT", care.DISPATCH, {"id": clash["id"], "w": care.worker_id})
    assert err["extensions"]["reason"] == "WORKER_BUSY"
    no_skill = await care.add_worker(care.gw1, name="李助浴", skills=["bathing"])
    await care.admin.error("BAD_USER_INPUT", care.DISPATCH, {"id": later["id"],
                                                              "w": no_skill})
    await care.admin.error("BAD_USER_INPUT", care.DISPATCH, {"id": clash["id"], "w": "0" * 24})

    # placing: every bad field is named
    past = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    err = await care.elder.error("BAD_USER_INPUT", care.PLACE, {"i": {
        "itemId": care.items["cleaning"], "slotStart": past, "note": "x" * 501, "maxPaidFen": -1,
        "idempotencyKey": "k" * 101}})
    assert err["extensions"]["fields"][0]["path"] == "input.idempotencyKey"
    err = await care.elder.error("BAD_USER_INPUT", care.PLACE, {"i": {
        "itemId": care.items["cleaning"], "slotStart": past, "note": "x" * 501, "maxPaidFen": -1}})
    assert paths(err) == {"input.slotStart", "input.note", "input.maxPaidFen"}
    far_future = (datetime.now(UTC) + timedelta(days=31)).isoformat()
    err = await care.elder.error("BAD_USER_INPUT", care.PLACE, {"i": {"itemId": "0" * 24, "slotStart": far_future}})
    assert paths(err) == {"input.slotStart"}
    err = await care.elder.error("BAD_USER_INPUT", care.PLACE, {"i": {"itemId": "0" * 24, "slotStart": care.soon()}})
    assert paths(err) == {"input.itemId"}
    bathing_only = await care.add_provider("仁心护理站", ["health_check"])
    err = await care.elder.error("BAD_USER_INPUT", care.PLACE, {"i": {
        "itemId": care.items["cleaning"], "slotStart": care.soon(), "providerId": bathing_only}})
    assert paths(err) == {"input.providerId"}
    not_enrolled = await care.community.resident_client(3)
    err = await not_enrolled.error("BAD_USER_INPUT", care.PLACE, {"i": {"itemId": care.items["cleaning"],
                                                                       "slotStart": care.soon()}})
    assert paths(err) == {"input.elderId"}

    err = await care.admin.error("BAD_USER_INPUT", care.SAVE_ELDER, {"i": {
        "residentId": care.community.resident_ids[3], "homeAddress": " ", "longitude": 200.0, "latitude": -91.0,
        "contactPhone": "12345"}})
    assert paths(err) == {"input.homeAddress", "input.longitude", "input.latitude", "input.contactPhone"}
    err = await care.admin.error("BAD_USER_INPUT", care.SAVE_ELDER, {"i": {
        "residentId": care.community.other.resident_ids[0], "homeAddress": "x", "longitude": 1.0, "latitude": 1.0}})
    assert paths(err) == {"input.residentId"}
    err = await care.admin.error("BAD_USER_INPUT", care.SAVE_ELDER, {"i": {
        "residentId": care.elder_id, "homeAddress": "x", "longitude": 1.0, "latitude": 1.0,
        "guardianResidentIds": [care.elder_id, "nobody"]}})
    assert paths(err) == {"input.guardianResidentIds.0", "input.guardianResidentIds.1"}
    await care.admin.error("CONFLICT", care.SAVE_ELDER, {"i": {
        "residentId": care.elder_id, "homeAddress": "x", "longitude": 1.0, "latitude": 1.0, "version": 99}})
    err = await care.admin.error("BAD_USER_INPUT", care.REGISTER_WORKER, {"i": {
        "providerId": care.provider_id, "name": "", "phone": "123", "skills": ["cleaning", "massage"]}})
    assert paths(err) == {"input.name", "input.phone", "input.skills.1"}
    err = await care.admin.error("BAD_USER_INPUT", "mutation { createCareServiceItem(input: {name: \"x\", "
                                                   "category: \"spa\", priceFen: -1, durationMinutes: 5}) { id } }")
    assert paths(err) == {"input.category", "input.priceFen", "input.durationMinutes"}
    await care.gw1.error("BAD_USER_INPUT", care.BIND, {"c": "NOSUCHCODE"})
    err = await care.elder.error("BAD_USER_INPUT", "query($e: ID!) { careElderStatement(elderId: $e, month: "
                                                   "\"2025-13\") { orderCount } }", {"e": care.elder_id})
    assert paths(err) == {"month"}
    await care.admin.error("BAD_USER_INPUT", "{ careOrders(first: -1) { totalCount } }")
    await care.admin.error("BAD_USER_INPUT", "{ careOrders(after: \"%%%\") { totalCount } }")


async def test_values_beyond_what_can_be_computed_with(care):
    """Months, days and times outside 1900–2999 and text that cannot be stored answer
    BAD_USER_INPUT by path, never INTERNAL_SERVER_ERROR (OverflowError, UnicodeEncodeError)."""
    month = "query($e: ID!, $m: String) { careElderStatement(elderId: $e, month: $m) { orderCount } }"
    for bad in ("0000-01", "0001-01", "9999-12"):
        assert paths(await care.elder.error("BAD_USER_INPUT", month, {"e": care.elder_id, "m": bad})) == {"month"}
    err = await care.elder.error("BAD_USER_INPUT", care.PLACE, {"i": {"itemId": care.items["cleaning"],
                                                                      "slotStart": "0001-01-01T00:00:00+08:00"}})
    assert paths(err) == {"input.slotStart"}
    err = await care.gw2.error("BAD_USER_INPUT", "query($d: Date) { myCareVisits(day: $d) { id } }", {"d": "0001-01-01"})
    assert paths(err) == {"day"}
    err = await care.admin.error("BAD_USER_INPUT", care.SAVE_ELDER, {"i": {
        "residentId": care.elder_id, "homeAddress": "幸福路\ud8001号", "longitude": 1.0, "latitude": 1.0,
        "careNotes": "\x00"}})
    assert paths(err) == {"input.homeAddress", "input.careNotes"}
