"""Per-account lockout after wrong passwords, unlock by an admin, and TOTP for admins."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp

LOGIN = """mutation($u: String!, $p: String!, $t: String) {
  loginWithPassword(username: $u, password: $p, totpCode: $t) { accessToken } }"""


async def _fail(gql, n: int, user: str = "gw0011") -> None:
    for _ in range(n):
        await gql.error("UNAUTHENTICATED", LOGIN, {"u": user, "p": "wrong-password"})


async def test_lockout_after_wrong_passwords(gql, world, platform):
    await _fail(gql, 4)
    await gql.login("gw0011")  # below the threshold: the right password works and clears the count
    await _fail(gql, 5)
    err = await gql.error("RATE_LIMITED", LOGIN, {"u": "gw0011", "p": "community-plus"})
    assert err["extensions"]["reason"] == "ACCOUNT_LOCKED"
    assert 0 < err["extensions"]["retryAfter"] <= 60
    assert "锁定" in err["message"]
    entries = await platform.audit.coll.find({"action": "lock_account"}).to_list()
    assert len(entries) == 1 and entries[0]["details"]["failures"] == 5
    # the lock ends by itself after its period
    user = await platform.users.by_username("gw0011")
    await platform.users.coll.update_one({"_id": user["_id"]},
                                         {"$set": {"lockedUntil": datetime.now(UTC) - timedelta(seconds=1)}})
    await gql.login("gw0011")


async def test_backoff_doubles_and_admin_unlocks(gql, world, platform):
    await _fail(gql, 5)
    user = await platform.users.by_username("gw0011")
    await platform.users.coll.update_one({"_id": user["_id"]},
                                         {"$set": {"lockedUntil": datetime.now(UTC) - timedelta(seconds=1)}})
    await _fail(gql, 1)  # the 6th wrong password in a row: two minutes
    err = await gql.error("RATE_LIMITED", LOGIN, {"u": "gw0011", "p": "community-plus"})
    assert 60 < err["extensions"]["retryAfter"] <= 120
    admin001 = await gql.login("admin001")
    listed = await gql.ok("{ staffMembers(first: 50) { edges { node { username lockedUntil } } } }", token=admin001)
    assert next(e["node"] for e in listed["staffMembers"]["edges"] if e["node"]["username"] == "gw0011")["lockedUntil"]
    unlocked = await gql.ok("mutation($id: ID!) { unlockStaff(id: $id) { lockedUntil } }", {"id": user["_id"]},
                            token=admin001)
    assert unlocked["unlockStaff"]["lockedUntil"] is None
    await gql.login("gw0011")
    assert await platform.audit.coll.count_documents({"action": "unlock_staff"}) == 1


async def test_totp_enrol_confirm_then_required(gql, world, platform):
    token = await gql.login("admin001")
    enrol = (await gql.ok("mutation { startTotpEnrolment { secret provisioningUri } }", token=token))["startTotpEnrolment"]
    assert enrol["provisioningUri"].startswith("otpauth://totp/") and enrol["secret"] in enrol["provisioningUri"]
    totp = pyotp.TOTP(enrol["secret"])
    await gql.login("admin001")  # not yet confirmed: no code needed
    await gql.error("BAD_USER_INPUT", "mutation($c: String!) { confirmTotp(code: $c) }", {"c": "000000"}, token=token)
    assert (await gql.ok("mutation($c: String!) { confirmTotp(code: $c) }", {"c": totp.now()},
                         token=token))["confirmTotp"] is True
    err = await gql.error("UNAUTHENTICATED", LOGIN, {"u": "admin001", "p": "community-plus"})
    assert err["extensions"]["reason"] == "TOTP_REQUIRED"
    wrong = f"{(int(totp.now()) + 500000) % 1000000:06d}"
    err = await gql.error("UNAUTHENTICATED", LOGIN, {"u": "admin001", "p": "community-plus", "t": wrong})
    assert err["extensions"]["reason"] == "TOTP_INVALID"
    data = await gql.ok(LOGIN, {"u": "admin001", "p": "community-plus", "t": totp.now()})
    assert data["loginWithPassword"]["accessToken"]
    me = await gql.ok("{ staffMembers(first: 50) { edges { node { username totpEnabled } } } }",
                      token=await gql.login("admin"))
    assert next(e["node"] for e in me["staffMembers"]["edges"] if e["node"]["username"] == "admin001")["totpEnabled"]
    await gql.error("FORBIDDEN", "mutation { startTotpEnrolment { secret } }", token=await gql.login("gw0011"))

    # a lost phone: the street admin above removes the second factor; the owner logs in with the password again
    admin_id = (await platform.users.coll.find_one({"username": "admin001"}))["_id"]
    reset = "mutation($id: ID!) { resetStaffTotp(id: $id) { totpEnabled } }"
    await gql.error("FORBIDDEN", reset, {"id": str(admin_id)}, token=await gql.login("gw0011"))
    done = await gql.ok(reset, {"id": str(admin_id)}, token=await gql.login("admin"))
    assert done["resetStaffTotp"]["totpEnabled"] is False
    assert (await gql.ok(LOGIN, {"u": "admin001", "p": "community-plus"}))["loginWithPassword"]["accessToken"]
    assert await platform.audit.coll.count_documents({"action": "reset_totp"}) == 1
