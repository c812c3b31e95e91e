"""Saving module settings audits the keys that changed, and nothing when nothing changed."""

from __future__ import annotations

SET = "mutation($c: ID!, $m: String!, $e: Boolean) { setModuleEnabled(communityId: $c, module: $m, enabled: $e) { enabled } }"
UPD = "mutation($c: ID!, $s: JSON!) { updateModuleSettings(communityId: $c, module: \"test_notices\", settings: $s) { settings } }"
AUDIT = """{ auditEntries(first: 20, filter: { action: "update_module_settings" }) {
  totalCount edges { node { fields actorName } } } }"""


async def test_unchanged_settings_log_nothing(gql, world):
    c1 = world["communities"][0]["_id"]
    admin = await gql.login("admin001")
    await gql.ok(SET, {"c": c1, "m": "test_notices", "e": True}, token=admin)
    await gql.ok(UPD, {"c": c1, "s": {"maxPinned": 2}}, token=admin)
    entries = (await gql.ok(AUDIT, token=admin))["auditEntries"]
    assert entries["totalCount"] == 1 and entries["edges"][0]["node"]["fields"] == ["maxPinned"]
    await gql.ok(UPD, {"c": c1, "s": {"maxPinned": 2}}, token=admin)  # the same value again
    await gql.ok(UPD, {"c": c1, "s": {}}, token=admin)
    assert (await gql.ok(AUDIT, token=admin))["auditEntries"]["totalCount"] == 1
    await gql.ok(UPD, {"c": c1, "s": {"maxPinned": None}}, token=admin)  # back to inheriting: a change
    entries = (await gql.ok(AUDIT, token=admin))["auditEntries"]
    assert entries["totalCount"] == 2 and entries["edges"][0]["node"]["fields"] == ["maxPinned"]
