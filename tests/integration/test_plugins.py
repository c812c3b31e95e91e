"""The plugin platform with two test plugins installed as real distributions (see
tests/plugins): discovery, per-community schemas, generated CRUD, settings, isolation,
events, migrations, and runtime switching seen by a second server process."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
import urllib.request

from community_plus.keys import REGISTRY
from community_plus.platform.testing import free_port
from workorder_fixtures import resident_token

SET = """mutation($c: ID!, $m: String!, $e: Boolean) { setModuleEnabled(communityId: $c, module: $m, enabled: $e) {
  name enabled decidedAt overriddenHere } }"""
MODULES = "query($c: ID) { modules(communityId: $c) { name title version enabled decidedAt settings settingsSchema } }"
ROOT_FIELDS = "{ __schema { queryType { fields { name } } mutationType { fields { name } } } }"
CREATE_NOTICE = """mutation($t: String!, $p: Boolean) { createNotice(input: {title: $t, pinned: $p}) {
  id title pinned category version } }"""


async def _root_fields(gql, token, community=None) -> set[str]:
    headers = {"X-Community-Id": community} if community else None
    data = await gql.ok(ROOT_FIELDS, token=token, headers=headers)
    return {f["name"] for f in data["__schema"]["queryType"]["fields"] + data["__schema"]["mutationType"]["fields"]}


async def test_discovery_reports_and_skips_broken_plugins(client):
    registry = client.app[REGISTRY]
    assert set(registry.modules) >= {"test_notices", "test_wishes"}
    failed = {f.entry_point: f.reason for f in registry.failed}
    assert "import failed" in failed["test_import_error"]
    assert "invalid manifest" in failed["test_bad_manifest"] and "lower_snake_case" in failed["test_bad_manifest"]
    assert "collides with the core schema" in failed["test_collision"] and "'Resident'" in failed["test_collision"]
    assert "unknown hook(s) on_events" in failed["test_misspelled"]
    notices = registry.modules["test_notices"]
    assert notices.distribution == "cp-test-notices" and notices.dist_version == "1.1.0"
    assert "on_event" in notices.hooks and (await client.get("/healthz")).status == 200


async def test_each_community_sees_exactly_its_modules(gql, world):
    c1, c2 = (c["_id"] for c in world["communities"])
    admin = await gql.login("admin")
    before = await _root_fields(gql, admin, c1)
    assert "notices" not in before and "wishes" not in before  # disabled by default
    await gql.ok(SET, {"c": c1, "m": "test_notices", "e": True}, token=admin)
    await gql.ok(SET, {"c": c2, "m": "test_wishes", "e": True}, token=admin)
    f1, f2 = await _root_fields(gql, admin, c1), await _root_fields(gql, admin, c2)
    assert {"notices", "notice", "createNotice", "pinnedNotices"} <= f1 and "wishes" not in f1
    assert {"wishes", "createWish"} <= f2 and "notices" not in f2
    # the community's own admin gets the same schema without a header
    a2 = await gql.login("admin002")
    err = await gql.error("MODULE_DISABLED", "{ notices { totalCount } }", token=a2)
    assert "test_notices" in err["message"]
    mods = {m["name"]: m for m in (await gql.ok(MODULES, token=a2))["modules"]}
    assert mods["test_wishes"]["enabled"] and not mods["test_notices"]["enabled"]
    assert mods["test_notices"]["title"] == "测试公告栏" and mods["test_notices"]["version"] == "1.1.0"


async def test_region_default_with_community_opt_out(gql, world, platform):
    c1, c2 = (c["_id"] for c in world["communities"])
    street = world["communities"][0]["parentId"]
    region_admin = await gql.login("nanjing")
    out = (await gql.ok(SET, {"c": street, "m": "test_notices", "e": True}, token=region_admin))["setModuleEnabled"]
    assert out["enabled"] and out["overriddenHere"]
    a1, a2 = await gql.login("admin001"), await gql.login("admin002")
    assert "notices" in await _root_fields(gql, a1) and "notices" in await _root_fields(gql, a2)
    opt = (await gql.ok(SET, {"c": c2, "m": "test_notices", "e": False}, token=a2))["setModuleEnabled"]
    assert opt == {"name": "test_notices", "enabled": False, "decidedAt": c2, "overriddenHere": True}
    assert "notices" not in await _root_fields(gql, a2)
    mods = {m["name"]: m for m in (await gql.ok(MODULES, token=a1))["modules"]}
    assert mods["test_notices"]["decidedAt"] == street
    overrides = await gql.ok("query($r: ID) { moduleOverrides(module: \"test_notices\", regionId: $r) { regionId enabled } }",
                             {"r": "320100"}, token=region_admin)
    assert {(o["regionId"], o["enabled"]) for o in overrides["moduleOverrides"]} == {(street, True), (c2, False)}
    # inherit again
    await gql.ok(SET, {"c": c2, "m": "test_notices", "e": None}, token=a2)
    assert "notices" in await _root_fields(gql, a2)
    # community admins cannot switch modules elsewhere; grid workers not at all
    await gql.error("NOT_FOUND", SET, {"c": c1, "m": "test_notices", "e": False}, token=a2)
    await gql.error("FORBIDDEN", SET, {"c": c1, "m": "test_notices", "e": False}, token=await gql.login("gw0011"))
    await gql.error("BAD_USER_INPUT", SET, {"c": c1, "m": "no_such_module", "e": True}, token=a1)


async def test_generated_crud_validation_permissions_and_audit(gql, world, platform):
    c1 = world["communities"][0]["_id"]
    admin = await gql.login("admin001")
    await gql.ok(SET, {"c": c1, "m": "test_notices", "e": True}, token=admin)
    err = await gql.error("BAD_USER_INPUT", CREATE_NOTICE, {"t": "x" * 60}, token=admin)
    assert err["extensions"]["fields"][0]["path"] == "input.title"
    bad = await gql.error("BAD_USER_INPUT", 'mutation { createNotice(input: {title: "t", category: "闲聊"}) { id } }', token=admin)
    assert bad["extensions"]["fields"][0]["path"] == "input.category"
    created = (await gql.ok(CREATE_NOTICE, {"t": "停水通知", "p": True}, token=admin))["createNotice"]
    assert created["category"] == "通知" and created["version"] == 1  # default applied
    worker = await gql.login("gw0011")  # holds test_notices.notice.publish
    await gql.ok(CREATE_NOTICE, {"t": "网格员发布"}, token=worker)
    resident = await resident_token(platform, await platform.residents.coll.find_one({"communityId": c1}))
    await gql.error("FORBIDDEN", CREATE_NOTICE, {"t": "居民发布"}, token=resident)
    listed = await gql.ok('{ notices(filter: {pinned: true}) { totalCount edges { node { title } } } }', token=resident)
    assert [e["node"]["title"] for e in listed["notices"]["edges"]] == ["停水通知"]
    upd = 'mutation($id: ID!, $v: Int) { updateNotice(id: $id, input: {body: "明天9点"}, version: $v) { body version } }'
    assert (await gql.ok(upd, {"id": created["id"], "v": 1}, token=admin))["updateNotice"]["version"] == 2
    await gql.error("CONFLICT", upd, {"id": created["id"], "v": 1}, token=admin)
    await gql.error("FORBIDDEN", 'mutation($id: ID!) { deleteNotice(id: $id) }', {"id": created["id"]}, token=worker)
    assert (await gql.ok('mutation($id: ID!) { deleteNotice(id: $id) }', {"id": created["id"]}, token=admin))["deleteNotice"]
    await gql.error("NOT_FOUND", 'query($id: ID!) { notice(id: $id) { id } }', {"id": created["id"]}, token=admin)
    actions = [a["action"] async for a in platform.audit.coll.find({"entity": "test_notices.Notice"}).sort("_id", 1)]
    assert actions == ["create", "create", "update", "delete"]
    stats = await gql.ok("{ moduleStatistics { module key label value } }", token=admin)
    assert {"module": "test_notices", "key": "notices", "label": "公告数", "value": 1.0} in stats["moduleStatistics"]


async def test_resident_owned_rows(gql, world, platform):
    c1 = world["communities"][0]["_id"]
    admin = await gql.login("admin001")
    await gql.ok(SET, {"c": c1, "m": "test_wishes", "e": True}, token=admin)
    r1, r2 = await platform.residents.coll.find({"communityId": c1}).limit(2).to_list()
    t1, t2 = await resident_token(platform, r1), await resident_token(platform, r2)
    wish = (await gql.ok('mutation { createWish(input: {text: "想要一副老花镜"}) { id residentId } }', token=t1))["createWish"]
    assert wish["residentId"] == r1["_id"]
    assert (await gql.ok("{ wishes { totalCount } }", token=t2))["wishes"]["totalCount"] == 0
    await gql.error("NOT_FOUND", 'query($id: ID!) { wish(id: $id) { id } }', {"id": wish["id"]}, token=t2)
    await gql.error("NOT_FOUND", 'mutation($id: ID!) { updateWish(id: $id, input: {text: "改"}) { id } }', {"id": wish["id"]}, token=t2)
    assert (await gql.ok("{ wishes { totalCount } }", token=admin))["wishes"]["totalCount"] == 1
    await gql.error("BAD_USER_INPUT", 'mutation { createWish(input: {text: "代填"}) { id } }', token=admin)
    ok = await gql.ok('mutation($r: ID) { createWish(input: {text: "代填", residentId: $r}) { residentId } }',
                      {"r": r2["_id"]}, token=admin)
    assert ok["createWish"]["residentId"] == r2["_id"]


async def test_settings_are_validated_and_secrets_write_only(gql, world, platform):
    c1 = world["communities"][0]["_id"]
    admin = await gql.login("admin001")
    await gql.ok(SET, {"c": c1, "m": "test_notices", "e": True}, token=admin)
    upd = """mutation($s: JSON!) { updateModuleSettings(communityId: "%s", module: "test_notices", settings: $s) {
      settings } }""" % c1
    err = await gql.error("BAD_USER_INPUT", upd, {"s": {"maxPinned": 99}}, token=admin)
    assert err["extensions"]["fields"][0]["path"] == "settings.maxPinned"
    saved = (await gql.ok(upd, {"s": {"maxPinned": 1, "webhookToken": "s3cr3t"}}, token=admin))["updateModuleSettings"]
    assert saved["settings"] == {"maxPinned": 1, "webhookToken": "********"}
    again = (await gql.ok(upd, {"s": {"webhookToken": "********"}}, token=admin))["updateModuleSettings"]
    assert again["settings"]["webhookToken"] == "********"  # the mask round-trips without erasing the secret
    for title in ("一", "二"):
        await gql.ok(CREATE_NOTICE, {"t": title, "p": True}, token=admin)
    assert (await gql.ok("{ pinnedNotices }", token=admin))["pinnedNotices"] == ["二"]  # maxPinned = 1
    # an SDK error raised by the plugin keeps its code and field paths
    extra = (await gql.ok('mutation { createNotice(input: {title: "三"}) { id } }', token=admin))["createNotice"]
    err = await gql.error("BAD_USER_INPUT", 'mutation($id: ID!) { pinNotice(id: $id) }', {"id": extra["id"]}, token=admin)
    assert err["extensions"]["fields"] == [{"path": "id", "message": "置顶公告已达上限 (the maximum of pinned notices is reached)"}]
    resident = await resident_token(platform, await platform.residents.coll.find_one({"communityId": c1}))
    await gql.error("FORBIDDEN", 'mutation($id: ID!) { pinNotice(id: $id) }', {"id": extra["id"]}, token=resident)
    # a resident sees the module but not its settings
    resident_view = await gql.ok(MODULES, token=admin)
    assert resident_view["modules"][0]["settingsSchema"]["type"] == "object"


async def test_a_plugin_cannot_reach_other_data(gql, world, platform):
    c1, c2 = (c["_id"] for c in world["communities"])
    admin = await gql.login("admin")
    for c in (c1, c2):
        await gql.ok(SET, {"c": c, "m": "test_notices", "e": True}, token=admin)
        await gql.ok(SET, {"c": c, "m": "test_wishes", "e": True}, token=admin)
    a1, a2 = await gql.login("admin001"), await gql.login("admin002")
    r2 = await platform.residents.coll.find_one({"communityId": c2})
    await gql.ok('mutation($r: ID) { createWish(input: {text: "二社区的心愿", residentId: $r}) { id } }', {"r": r2["_id"]}, token=a2)
    await gql.error("FORBIDDEN", "{ peekAtWishes }", token=a1)
    await gql.error("FORBIDDEN", '{ wishEscapeAttempt(how: "lookup") }', token=a1)
    await gql.error("FORBIDDEN", '{ wishEscapeAttempt(how: "where") }', token=a1)
    assert (await gql.ok('{ wishEscapeAttempt(how: "other_community") }', token=a1))["wishEscapeAttempt"] == 0
    assert (await gql.ok('{ wishEscapeAttempt(how: "all") }', token=a1))["wishEscapeAttempt"] == 0
    assert (await gql.ok('{ wishEscapeAttempt(how: "all") }', token=a2))["wishEscapeAttempt"] == 1


async def test_crashing_hook_is_isolated_and_events_reach_modules(gql, world, platform):
    c1 = world["communities"][0]["_id"]
    admin = await gql.login("admin001")
    await gql.ok(SET, {"c": c1, "m": "test_notices", "e": True}, token=admin)
    await gql.ok(SET, {"c": c1, "m": "test_wishes", "e": True}, token=admin)  # its on_event always raises
    created = await gql.ok('mutation { createResident(input: {name: "新邻居", birthDate: "1990-01-01"}) { id name } }',
                           token=admin)
    assert created["createResident"]["name"] == "新邻居"
    notices = await gql.ok("{ notices { edges { node { title } } } }", token=admin)
    assert "欢迎新居民新邻居" in [e["node"]["title"] for e in notices["notices"]["edges"]]
    order = await gql.ok('mutation($r: ID) { submitWorkOrder(input: {description: "灯坏了", residentId: $r}) { id } }',
                         {"r": created["createResident"]["id"]}, token=admin)
    await gql.ok("mutation($id: ID!) { acceptWorkOrder(id: $id) { state } }", {"id": order["submitWorkOrder"]["id"]}, token=admin)


async def test_disable_keeps_data_and_reenable_brings_it_back(gql, world):
    c1 = world["communities"][0]["_id"]
    admin = await gql.login("admin001")
    await gql.ok(SET, {"c": c1, "m": "test_notices", "e": True}, token=admin)
    await gql.ok(CREATE_NOTICE, {"t": "保留的公告"}, token=admin)
    await gql.ok(SET, {"c": c1, "m": "test_notices", "e": False}, token=admin)
    await gql.error("MODULE_DISABLED", "{ notices { totalCount } }", token=admin)
    await gql.ok(SET, {"c": c1, "m": "test_notices", "e": True}, token=admin)
    assert (await gql.ok("{ notices { totalCount } }", token=admin))["notices"]["totalCount"] == 1


async def test_schemas_are_shared_per_module_set(client, gql, world):
    from community_plus.keys import SCHEMAS

    c1, c2 = (c["_id"] for c in world["communities"])
    admin = await gql.login("admin")
    for c in (c1, c2):
        await gql.ok(SET, {"c": c, "m": "test_notices", "e": True}, token=admin)
    for c in (c1, c2, c1, c2):
        await gql.ok("{ notices { totalCount } }", token=admin, headers={"X-Community-Id": c})
    sets = set(client.app[SCHEMAS]._schemas)
    assert frozenset({"test_notices"}) in sets and len(sets) <= 2  # {} (no community) and {test_notices}


async def test_migrations_run_once_per_version_under_a_lock(platform, client):
    from community_plus.modules.lifecycle import run_migrations

    registry = client.app[REGISTRY]
    coll = platform.db["test_notices__migrations"]
    assert await coll.count_documents({}) == 1  # ran at start-up
    await platform.db["module_versions"].delete_many({})
    results = await asyncio.gather(run_migrations(platform, registry), run_migrations(platform, registry))
    assert sorted(r["test_notices"] for r in results) == ["current", "migrated"]
    assert await coll.count_documents({}) == 2 and await coll.count_documents({"to": "1.1.0", "from": None}) == 2


def _post(port: int, query: str, token: str, community: str) -> dict:
    req = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", data=json.dumps({"query": query}).encode(),
                                 headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}",
                                          "X-Community-Id": community})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


async def test_switch_reaches_a_second_server_process_within_two_seconds(gql, world, settings, tmp_path):
    c1 = world["communities"][0]["_id"]
    admin = await gql.login("admin")
    port = free_port()
    env = {**__import__("os").environ, "MONGODB_URI": settings.mongodb_uri, "CP_DATA_DIR": str(tmp_path),
           "CP_LOG_FORMAT": "console", "CP_BACKGROUND_JOBS": "false"}
    server = subprocess.Popen([sys.executable, "-m", "community_plus.cli", "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1)
                break
            except OSError:
                assert time.monotonic() < deadline, "second server did not start"
                await asyncio.sleep(0.2)
        query = "{ __type(name: \"Query\") { fields { name } } }"
        names = lambda: {f["name"] for f in _post(port, query, admin, c1)["data"]["__type"]["fields"]}  # noqa: E731
        assert "notices" not in await asyncio.to_thread(names)
        await gql.ok(SET, {"c": c1, "m": "test_notices", "e": True}, token=admin)
        switched = time.monotonic()
        while "notices" not in await asyncio.to_thread(names):
            assert time.monotonic() - switched < 2.0, "the switch did not reach the other process within 2 s"
            await asyncio.sleep(0.05)
        await gql.ok(SET, {"c": c1, "m": "test_notices", "e": False}, token=admin)
        switched = time.monotonic()
        while "notices" in await asyncio.to_thread(names):
            assert time.monotonic() - switched < 2.0
            await asyncio.sleep(0.05)
    finally:
        server.terminate()
        server.wait(30)


async def test_seed_enables_modules_in_some_communities_and_seeds_them(client, platform):
    from community_plus.modules.seeding import seed_modules
    from community_plus.demo.seed import seed

    await seed(platform, communities=3, residents_per_community=3, grids_per_community=1, work_orders_per_community=0)
    communities = await platform.regions.coll.find({"level": "community"}).sort("_id", 1).to_list()
    first = await seed_modules(platform, communities)
    again = await seed_modules(platform, communities)  # idempotent
    assert first == again
    registry = client.app[REGISTRY]
    for name, ids in first.items():
        assert 0 < len(ids) < len(communities)
        for c in communities:
            assert (name in await registry.states.enabled_for(c["_id"])) == (c["_id"] in ids)
    assert len({tuple(v) for v in first.values()}) > 1  # different mixes
    notices = platform.db["test_notices__notices"]
    assert await notices.count_documents({"title": "演示公告"}) == len(first["test_notices"])


async def test_settings_inherit_from_region_and_null_returns_to_it(gql, world, platform):
    c1 = world["communities"][0]["_id"]
    street = world["communities"][0]["parentId"]
    region_admin, admin = await gql.login("nanjing"), await gql.login("admin001")
    upd = """mutation($c: ID!, $s: JSON!) { updateModuleSettings(communityId: $c, module: "test_notices", settings: $s) {
      settings } }"""
    await gql.ok(upd, {"c": street, "s": {"maxPinned": 5}}, token=region_admin)
    mods = {m["name"]: m for m in (await gql.ok(MODULES, {"c": c1}, token=admin))["modules"]}
    assert mods["test_notices"]["settings"]["maxPinned"] == 5  # the street's default reaches the community
    own = (await gql.ok(upd, {"c": c1, "s": {"maxPinned": 2}}, token=admin))["updateModuleSettings"]
    assert own["settings"]["maxPinned"] == 2
    back = (await gql.ok(upd, {"c": c1, "s": {"maxPinned": None}}, token=admin))["updateModuleSettings"]
    assert back["settings"]["maxPinned"] == 5  # null drops the community's own value
    entries = await platform.audit.coll.count_documents({"action": "update_module_settings"})
    assert entries == 3


def test_module_pages_follow_one_convention():
    """Module pages are absolute and live under /pages/<module name>/ (wx.navigateTo paths)."""
    from community_plus_sdk import Module
    from community_plus_sdk.module import page_path

    ok = Module(name="notice_board", title="公告", version="1.0.0", entry_page="pages/notice_board/index")
    assert ok.entry_page == "/pages/notice_board/index" and ok.problems() == []  # the slash is added
    for page in ("/pages/notices/index", "/pages/notice-board/index", "https://example.com/x", "/pages/notice_board"):
        problems = Module(name="notice_board", title="公告", version="1.0.0", entry_page=page).problems()
        assert problems and "/pages/notice_board/" in problems[0], page
    assert page_path("pages/a/b?id=1") == "/pages/a/b?id=1"
    for bad in ("", "/", "a/b", "/pages/a b", "//pages/a"):
        try:
            page_path(bad)
        except ValueError:
            continue
        raise AssertionError(bad)
    from elder_care.manifest import module as elder_care
    from meal_assist.manifest import module as meal_assist
    from micro_charity.manifest import module as micro_charity
    from consultation.manifest import module as consultation
    from village_affairs.manifest import module as village_affairs

    for m in (elder_care, meal_assist, micro_charity, consultation, village_affairs):
        assert m.entry_page == f"/pages/{m.name}/index" and m.problems() == []
