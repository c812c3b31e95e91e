"""Staff management over GraphQL: list, create, disable/enable, reset codes, own password,
role/scope edits within the editor's scope, all audited."""

from __future__ import annotations

LOGIN = """mutation($u: String!, $p: String!) { loginWithPassword(username: $u, password: $p) {
  accessToken refreshToken } }"""
LIST = "query($a: String) { staffMembers(first: 100, after: $a) { totalCount edges { node { id username role communityId disabled } } pageInfo { hasNextPage endCursor } } }"
CREATE = """mutation($i: CreateStaffInput!) { createStaff(input: $i) { id username role communityId gridIds disabled } }"""
DISABLE = "mutation($id: ID!, $d: Boolean!) { setStaffDisabled(id: $id, disabled: $d) { id disabled } }"
RESET = "mutation($id: ID!) { resetStaffPassword(id: $id) { code expiresAt } }"
REDEEM = "mutation($c: String!, $p: String!) { redeemPasswordReset(code: $c, newPassword: $p) }"
CHANGE = "mutation($o: String!, $n: String!) { changeMyPassword(oldPassword: $o, newPassword: $n) }"
ROLE = "mutation($id: ID!, $i: StaffRoleInput!) { updateStaffRole(id: $id, input: $i) { id role communityId gridIds } }"
REFRESH = "mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken } }"
AUDIT = "query($a: String) { auditEntries(first: 50, filter: { action: $a }) { edges { node { action entity entityId actorName } } } }"


async def _id_of(platform, username: str) -> str:
    return (await platform.users.by_username(username))["_id"]


async def test_list_is_scoped_and_paged(gql, world):
    admin001 = await gql.login("admin001")
    rows = (await gql.ok(LIST, token=admin001))["staffMembers"]
    community = world["communities"][0]["_id"]
    assert rows["totalCount"] == len(rows["edges"]) > 1
    assert {e["node"]["communityId"] for e in rows["edges"]} == {community}
    everyone = (await gql.ok(LIST, token=await gql.login("admin")))["staffMembers"]
    assert everyone["totalCount"] > rows["totalCount"]
    assert "PLATFORM_ADMIN" in {e["node"]["role"] for e in everyone["edges"]}
    nanjing = (await gql.ok(LIST, token=await gql.login("nanjing")))["staffMembers"]
    assert "PLATFORM_ADMIN" not in {e["node"]["role"] for e in nanjing["edges"]}
    assert "REGION_ADMIN" in {e["node"]["role"] for e in nanjing["edges"]}  # itself
    await gql.error("FORBIDDEN", LIST, token=await gql.login("gw0011"))
    page = (await gql.ok("{ staffMembers(first: 1) { edges { cursor } pageInfo { hasNextPage endCursor } } }",
                         token=admin001))["staffMembers"]
    assert page["pageInfo"]["hasNextPage"] and len(page["edges"]) == 1


async def test_create_within_scope_only(gql, world, platform):
    c0, c1 = world["communities"][0]["_id"], world["communities"][1]["_id"]
    grid = world["grids"][c0][0]["_id"]
    admin001 = await gql.login("admin001")
    made = (await gql.ok(CREATE, {"i": {"username": "gw_new", "password": "new-password-1", "role": "GRID_WORKER",
                                        "displayName": "新网格员", "communityId": c0, "gridIds": [grid]}},
                         token=admin001))["createStaff"]
    assert made["role"] == "GRID_WORKER" and made["gridIds"] == [grid]
    assert made["id"] in (await platform.grids.get(grid))["workerIds"]
    await gql.login("gw_new", "new-password-1")
    # another community, and a role not below one's own, are refused
    await gql.error("FORBIDDEN", CREATE, {"i": {"username": "x1", "password": "new-password-1",
                                                "role": "GRID_WORKER", "communityId": c1,
                                                "gridIds": [world["grids"][c1][0]["_id"]]}}, token=admin001)
    await gql.error("FORBIDDEN", CREATE, {"i": {"username": "x2", "password": "new-password-1",
                                                "role": "COMMUNITY_ADMIN", "communityId": c0}}, token=admin001)
    await gql.error("FORBIDDEN", CREATE, {"i": {"username": "x3", "password": "new-password-1",
                                                "role": "PLATFORM_ADMIN"}}, token=await gql.login("nanjing"))
    # a region admin creates community admins below it
    nanjing = await gql.login("nanjing")
    made = (await gql.ok(CREATE, {"i": {"username": "admin_c1b", "password": "new-password-1",
                                        "role": "COMMUNITY_ADMIN", "communityId": c1}}, token=nanjing))["createStaff"]
    assert made["communityId"] == c1
    await gql.error("CONFLICT", CREATE, {"i": {"username": "admin_c1b", "password": "new-password-1",
                                               "role": "COMMUNITY_ADMIN", "communityId": c1}}, token=nanjing)
    err = await gql.error("BAD_USER_INPUT", CREATE, {"i": {"username": "short", "password": "x",
                                                           "role": "COMMUNITY_ADMIN", "communityId": c1}}, token=nanjing)
    assert "密码" in err["message"]
    entries = (await gql.ok(AUDIT, {"a": "create_staff"}, token=await gql.login("admin")))["auditEntries"]["edges"]
    assert {e["node"]["actorName"] for e in entries} >= {"南京市管理员"}


async def test_disable_ends_sessions_and_enable_restores(gql, world, platform):
    gw = await _id_of(platform, "gw0011")
    tokens = (await gql.ok(LOGIN, {"u": "gw0011", "p": "community-plus"}))["loginWithPassword"]
    admin001 = await gql.login("admin001")
    assert (await gql.ok(DISABLE, {"id": gw, "d": True}, token=admin001))["setStaffDisabled"]["disabled"] is True
    await gql.error("UNAUTHENTICATED", REFRESH, {"t": tokens["refreshToken"]})
    err = await gql.error("UNAUTHENTICATED", "{ me { id } }", token=tokens["accessToken"])
    assert err["extensions"]["reason"] == "SESSION_ENDED"
    await gql.error("UNAUTHENTICATED", LOGIN, {"u": "gw0011", "p": "community-plus"})
    await gql.ok(DISABLE, {"id": gw, "d": False}, token=admin001)
    await gql.login("gw0011")
    # peers and those above are out of reach; so is oneself
    await gql.error("FORBIDDEN", DISABLE, {"id": await _id_of(platform, "admin"), "d": True}, token=admin001)
    await gql.error("FORBIDDEN", DISABLE, {"id": await _id_of(platform, "admin001"), "d": True}, token=admin001)
    await gql.error("FORBIDDEN", DISABLE, {"id": await _id_of(platform, "gw0021"), "d": True}, token=admin001)
    actions = [e["node"]["action"] for e in
               (await gql.ok(AUDIT, token=admin001))["auditEntries"]["edges"]]
    assert "disable_staff" in actions and "enable_staff" in actions


async def test_reset_code_is_single_use(gql, world, platform):
    gw = await _id_of(platform, "gw0011")
    old = (await gql.ok(LOGIN, {"u": "gw0011", "p": "community-plus"}))["loginWithPassword"]
    admin001 = await gql.login("admin001")
    first = (await gql.ok(RESET, {"id": gw}, token=admin001))["resetStaffPassword"]
    second = (await gql.ok(RESET, {"id": gw}, token=admin001))["resetStaffPassword"]
    err = await gql.error("UNAUTHENTICATED", REDEEM, {"c": first["code"], "p": "brand-new-pass"})
    assert err["extensions"]["reason"] == "RESET_CODE_INVALID"  # a newer code voids the older
    assert (await gql.ok(REDEEM, {"c": second["code"], "p": "brand-new-pass"}))["redeemPasswordReset"] is True
    await gql.error("UNAUTHENTICATED", REDEEM, {"c": second["code"], "p": "other-new-pass"})
    await gql.error("UNAUTHENTICATED", REFRESH, {"t": old["refreshToken"]})  # old sessions ended
    await gql.login("gw0011", "brand-new-pass")
    await gql.error("UNAUTHENTICATED", LOGIN, {"u": "gw0011", "p": "community-plus"})
    await gql.error("BAD_USER_INPUT", REDEEM, {"c": second["code"], "p": "short"})
    # expired codes do not work
    third = (await gql.ok(RESET, {"id": gw}, token=admin001))["resetStaffPassword"]
    from datetime import UTC, datetime, timedelta
    await platform.db["staff_password_resets"].update_many({}, {"$set": {"expiresAt": datetime.now(UTC) - timedelta(seconds=1)}})
    await gql.error("UNAUTHENTICATED", REDEEM, {"c": third["code"], "p": "brand-new-pass"})
    actions = [e["node"]["action"] for e in (await gql.ok(AUDIT, token=admin001))["auditEntries"]["edges"]]
    assert actions.count("issue_password_reset") == 3 and "redeem_password_reset" in actions


async def test_change_own_password(gql, world):
    tokens = (await gql.ok(LOGIN, {"u": "admin001", "p": "community-plus"}))["loginWithPassword"]
    other = (await gql.ok(LOGIN, {"u": "admin001", "p": "community-plus"}))["loginWithPassword"]
    err = await gql.error("BAD_USER_INPUT", CHANGE, {"o": "wrong-one", "n": "another-pass-1"}, token=tokens["accessToken"])
    assert err["extensions"]["fields"][0]["path"] == "oldPassword"
    assert (await gql.ok(CHANGE, {"o": "community-plus", "n": "another-pass-1"},
                         token=tokens["accessToken"]))["changeMyPassword"] is True
    await gql.ok("{ me { id } }", token=tokens["accessToken"])  # this session goes on
    await gql.error("UNAUTHENTICATED", REFRESH, {"t": other["refreshToken"]})  # the others end
    await gql.login("admin001", "another-pass-1")
    await gql.error("UNAUTHENTICATED", CHANGE, {"o": "a", "n": "b"})


async def test_role_and_scope_edits_stay_within_scope(gql, world, platform):
    c0, c1 = world["communities"][0]["_id"], world["communities"][1]["_id"]
    g0, g1 = world["grids"][c0][0]["_id"], world["grids"][c0][1]["_id"]
    gw = await _id_of(platform, "gw0011")
    admin001 = await gql.login("admin001")
    moved = (await gql.ok(ROLE, {"id": gw, "i": {"role": "GRID_WORKER", "communityId": c0, "gridIds": [g1]}},
                          token=admin001))["updateStaffRole"]
    assert moved["gridIds"] == [g1]
    assert gw not in (await platform.grids.get(g0)).get("workerIds", [])
    assert gw in (await platform.grids.get(g1))["workerIds"]
    # a community admin can neither promote to its own role nor move staff to another community
    await gql.error("FORBIDDEN", ROLE, {"id": gw, "i": {"role": "COMMUNITY_ADMIN", "communityId": c0}}, token=admin001)
    await gql.error("FORBIDDEN", ROLE, {"id": gw, "i": {"role": "GRID_WORKER", "communityId": c1,
                                                         "gridIds": [world["grids"][c1][0]["_id"]]}}, token=admin001)
    await gql.error("BAD_USER_INPUT", ROLE, {"id": gw, "i": {"role": "GRID_WORKER", "communityId": c0,
                                                              "gridIds": [world["grids"][c1][0]["_id"]]}}, token=admin001)
    # the region admin promotes; the worker's old tokens end (they carried the old role)
    tokens = (await gql.ok(LOGIN, {"u": "gw0011", "p": "community-plus"}))["loginWithPassword"]
    nanjing = await gql.login("nanjing")
    promoted = (await gql.ok(ROLE, {"id": gw, "i": {"role": "COMMUNITY_ADMIN", "communityId": c0}},
                             token=nanjing))["updateStaffRole"]
    assert promoted["role"] == "COMMUNITY_ADMIN" and promoted["gridIds"] == []
    assert gw not in (await platform.grids.get(g1)).get("workerIds", [])
    await gql.error("UNAUTHENTICATED", REFRESH, {"t": tokens["refreshToken"]})
    await gql.error("FORBIDDEN", ROLE, {"id": gw, "i": {"role": "REGION_ADMIN",
                                                         "regionId": world["communities"][0]["parentId"]}},
                    token=nanjing)
    entries = (await gql.ok(AUDIT, {"a": "update_staff_role"}, token=nanjing))["auditEntries"]["edges"]
    assert len(entries) == 2


async def test_hotline_operators_and_department_staff_are_managed_like_other_staff(gql, world, platform):
    street = world["communities"][0]["parentId"]  # the street of community 1
    c0 = world["communities"][0]["_id"]
    nanjing = await gql.login("nanjing")
    dept = (await gql.ok("mutation($i: DepartmentInput!) { createDepartment(input: $i) { id } }",
                         {"i": {"regionId": street, "name": "城管科"}}, token=nanjing))["createDepartment"]["id"]
    fields = "id username role regionId departmentId"
    make = f"mutation($i: CreateStaffInput!) {{ createStaff(input: $i) {{ {fields} }} }}"
    operator = (await gql.ok(make, {"i": {"username": "op_new", "password": "new-password-1",
                                          "role": "HOTLINE_OPERATOR", "regionId": street}}, token=nanjing))["createStaff"]
    assert operator["role"] == "HOTLINE_OPERATOR" and operator["regionId"] == street
    staff = (await gql.ok(make, {"i": {"username": "dept_new", "password": "new-password-1",
                                       "role": "DEPARTMENT_STAFF", "departmentId": dept}}, token=nanjing))["createStaff"]
    assert staff["departmentId"] == dept and staff["regionId"] == street  # the department's region is the scope
    await gql.login("op_new", "new-password-1")
    await gql.login("dept_new", "new-password-1")
    # a community admin may not create regional front-line staff; a department must exist
    admin001 = await gql.login("admin001")
    await gql.error("FORBIDDEN", make, {"i": {"username": "op_x", "password": "new-password-1",
                                              "role": "HOTLINE_OPERATOR", "regionId": street}}, token=admin001)
    err = await gql.error("BAD_USER_INPUT", make, {"i": {"username": "dept_x", "password": "new-password-1",
                                                         "role": "DEPARTMENT_STAFF", "departmentId": "nope"}},
                          token=nanjing)
    assert "部门" in err["message"]
    # listed, disabled, reset and re-roled by the admin above, inside its scope
    listed = {e["node"]["username"]: e["node"]["role"]
              for e in (await gql.ok(LIST, {}, token=nanjing))["staffMembers"]["edges"]}
    assert listed["op_new"] == "HOTLINE_OPERATOR" and listed["dept_new"] == "DEPARTMENT_STAFF"
    assert "op_new" not in {e["node"]["username"] for e in (await gql.ok(LIST, {}, token=admin001))["staffMembers"]["edges"]}
    await gql.ok(DISABLE, {"id": operator["id"], "d": True}, token=nanjing)
    await gql.error("UNAUTHENTICATED", LOGIN, {"u": "op_new", "p": "new-password-1"})
    assert (await gql.ok(RESET, {"id": staff["id"]}, token=nanjing))["resetStaffPassword"]["code"]
    moved = (await gql.ok(f"mutation($id: ID!, $i: StaffRoleInput!) {{ updateStaffRole(id: $id, input: $i) {{ {fields} }} }}",
                          {"id": staff["id"], "i": {"role": "HOTLINE_OPERATOR", "regionId": street}},
                          token=nanjing))["updateStaffRole"]
    assert moved["role"] == "HOTLINE_OPERATOR" and moved["departmentId"] is None
    back = (await gql.ok(ROLE, {"id": staff["id"], "i": {"role": "GRID_WORKER", "communityId": c0,
                                                         "gridIds": [world["grids"][c0][0]["_id"]]}},
                         token=nanjing))["updateStaffRole"]
    assert back["role"] == "GRID_WORKER"
