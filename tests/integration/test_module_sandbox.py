"""The module sandboxes.

The data sandbox: a module's filters and pipelines reach only its own rows of one community,
however deeply a cross-collection stage or JavaScript operator is nested. Each attack is
first run on the raw collection, to show it really reads other data on this database, and
then through the module's collection, which must refuse it.

The developer's sandbox (`community-plus sandbox PLUGIN`, core/devtools/sandbox.py and its siblings): a module
calling `ctx.notify` there really reaches the sandbox's fake WeChat, which the sandbox
configures with the subscription templates the server sends with and the demo resident's
grants (the last test: the sandbox's own WeChat app, server environment, seeding, plugin
preparation and demo resident, in this process instead of its child processes).
"""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from bson import encode
from bson.raw_bson import RawBSONDocument

from community_plus.app import create_app
from community_plus.devtools.sandbox_demo import (RESIDENT_USER, SANDBOX_GRANTS, _gql, ensure_demo_resident,
                                                  sandbox_environment, sandbox_fake_wechat, seed_database)
from community_plus.devtools.sandbox_options import SandboxOptions
from community_plus.devtools.worker import SandboxState, prepare_plugin
from community_plus.keys import SANDBOX as STATE
from community_plus.platform.errors import Forbidden
from community_plus.settings import load_settings
from community_plus_sandbox.wechat import FAKE_WECHAT

NOTICES = "test_notices__notices"  # another module's collection
LOOKUP = {"$lookup": {"from": NOTICES, "pipeline": [], "as": "leak"}}
UNION = {"$unionWith": {"coll": NOTICES, "pipeline": []}}

LEAKS = {  # name → pipeline that reads another module's rows or another community's
    "$lookup inside $facet": [{"$facet": {"x": [LOOKUP]}}],
    "$unionWith inside $facet": [{"$facet": {"x": [UNION]}}],
    "$graphLookup inside $facet": [{"$facet": {"x": [{"$graphLookup": {
        "from": NOTICES, "startWith": "$tag", "connectFromField": "tag", "connectToField": "tag", "as": "leak"}}]}}],
    "$unionWith of the same collection (every community)": [{"$unionWith": {"coll": "test_wishes__wishes"}}],
    "$lookup inside a $unionWith pipeline": [{"$unionWith": {"coll": "test_wishes__wishes", "pipeline": [LOOKUP]}}],
    "$lookup in a RawBSONDocument stage": [RawBSONDocument(encode({"$facet": {"x": [LOOKUP]}}))],
}
REFUSED = {  # name → (pipeline, the name the error must mention)
    "$function in an expression": ([{"$match": {"$expr": {"$function": {
        "body": "function() { return true }", "args": [], "lang": "js"}}}}], "$function"),
    "$accumulator in $group": ([{"$group": {"_id": None, "x": {"$accumulator": {
        "init": "function() { return 0 }", "accumulate": "function(s) { return s }", "accumulateArgs": [],
        "merge": "function(a, b) { return a }", "lang": "js"}}}}], "$accumulator"),
    "$where in a $facet $match": ([{"$facet": {"x": [{"$match": {"$where": "true"}}]}}], "$where"),
    "$out inside $facet": ([{"$facet": {"x": [{"$out": "stolen"}]}}], "$out"),
    "$merge": ([{"$merge": {"into": "stolen"}}], "$merge"),
    "$documents": ([{"$documents": [{"a": 1}]}], "$documents"),
    "$collStats": ([{"$collStats": {"count": {}}}], "$collStats"),
    "$indexStats": ([{"$indexStats": {}}], "$indexStats"),
    "$currentOp": ([{"$currentOp": {}}], "$currentOp"),
    "$listSessions": ([{"$listSessions": {}}], "$listSessions"),
    "$changeStream": ([{"$changeStream": {}}], "$changeStream"),
    "a stage not on the allow-list": ([{"$planCacheStats": {}}], "$planCacheStats"),
    "$facet inside $facet": ([{"$facet": {"x": [{"$facet": {"y": [{"$count": "n"}]}}]}}], "$facet"),
}


@pytest.fixture
async def rows(platform, world):
    """Wishes in two communities and a notice of another module."""
    c1, c2 = (c["_id"] for c in world["communities"])
    registry = platform.modules
    wishes = registry.context(platform, "test_wishes", community_id=c1).collection("wishes")
    other = registry.context(platform, "test_wishes", community_id=c2).collection("wishes")
    for text, tag in (("轮椅", "a"), ("老花镜", "a"), ("助听器", "b")):
        await wishes.insert({"text": text, "tag": tag})
    await other.insert({"text": "另一个社区的心愿", "tag": "a"})
    await platform.db[NOTICES].insert_one({"communityId": c2, "title": "别的模块的数据", "tag": "a"})
    return {"wishes": wishes, "raw": platform.db["test_wishes__wishes"], "c1": c1,
            "system": registry.context(platform, "test_wishes")}


@pytest.mark.parametrize("name", LEAKS)
async def test_nested_cross_collection_stages_are_refused(rows, name):
    pipeline = LEAKS[name]
    raw = await (await rows["raw"].aggregate([{"$match": {"communityId": rows["c1"]}}, *pipeline])).to_list()
    seen = str(raw)
    assert "别的模块的数据" in seen or "另一个社区的心愿" in seen, f"{name} leaks nothing here: the test would prove nothing"
    with pytest.raises(Forbidden) as exc:
        await rows["wishes"].aggregate(pipeline)
    assert exc.value.extensions["code"] == "FORBIDDEN"
    assert any(s in exc.value.message for s in ("$lookup", "$unionWith", "$graphLookup"))


@pytest.mark.parametrize("name", REFUSED)
async def test_javascript_and_server_state_stages_are_refused_anywhere(rows, name):
    pipeline, mentioned = REFUSED[name]
    with pytest.raises(Forbidden) as exc:
        await rows["wishes"].aggregate(pipeline)
    assert mentioned in exc.value.message and "模块不能使用" in exc.value.message


async def test_filters_are_checked_at_any_depth_and_legitimate_pipelines_work(rows):
    wishes = rows["wishes"]
    nested = {"$and": [{"tag": "a"}, {"$or": [{"$expr": {"$function": {"body": "function() { return 1 }",
                                                                          "args": [], "lang": "js"}}}]}]}
    for call in (lambda: wishes.find(nested), lambda: wishes.count(nested), lambda: wishes.find_one(nested),
                 lambda: wishes.update(nested, {"tag": "c"}), lambda: wishes.delete(nested)):
        with pytest.raises(Forbidden):
            await call()
    unscoped = rows["system"].unscoped_collection("wishes")  # migrations: every community, same checks
    with pytest.raises(Forbidden):
        await unscoped.find({"$where": "true"})
    assert await unscoped.count({"tag": "a"}) == 3
    summary = await wishes.aggregate([
        {"$facet": {"total": [{"$count": "n"}],
                    "byTag": [{"$group": {"_id": "$tag", "n": {"$sum": 1}}}, {"$sort": {"_id": 1}}]}},
    ])
    assert summary == [{"total": [{"n": 3}], "byTag": [{"_id": "a", "n": 2}, {"_id": "b", "n": 1}]}]
    assert await wishes.count({"tag": "a"}) == 2  # only this community's rows



async def test_a_module_notifying_in_the_sandbox_reaches_the_fake_wechat(db_uri, tmp_path, aiohttp_server):
    secret = "sandbox-secret-0123456789abcdef"
    wechat = await aiohttp_server(sandbox_fake_wechat(secret))
    fake = wechat.app[FAKE_WECHAT]
    env = sandbox_environment(SandboxOptions(data_dir=tmp_path), db_uri, secret, "cp-test-live",
                              wechat_base=str(wechat.make_url("")).rstrip("/"))
    assert env["CP_WECHAT_TEMPLATES"] == "work_order_status=TPL_WORK_ORDER_UPDATE,module_notice=TPL_MODULE_NOTICE"
    settings = load_settings(**env)
    assert settings.background_jobs  # the sandbox's server delivers its outbox itself
    assert await seed_database(db_uri, settings, communities=1, residents=5)
    app = create_app(settings)  # what the sandbox's server process (worker.py) runs
    app[STATE] = SandboxState(dist=env["CP_SANDBOX_DIST"], resident_user=env["CP_SANDBOX_RESIDENT"])
    app.on_startup.append(prepare_plugin)  # enables cp-test-live's module (off by default) in the first community
    server = await aiohttp_server(app)
    base = str(server.make_url("")).rstrip("/")
    assert await ensure_demo_resident(base)  # the demo resident, bound through the fake WeChat

    async with aiohttp.ClientSession() as http:
        login = await _gql(http, base, "mutation($c: String!) { loginWithWechat(code: $c) { accessToken } }",
                           {"c": f"user:{RESIDENT_USER}:notify-test"})
        token = login["loginWithWechat"]["accessToken"]
        title = "社区志愿者服务队周六上午在广场集合签到"  # 19 characters: fits thing1 as it is
        assert (await _gql(http, base, "mutation($t: String!) { liveNotify(title: $t) }", {"t": title},
                           token=token))["liveNotify"] is True

    loop = asyncio.get_running_loop()
    deadline = loop.time() + 15
    while not fake.sent_messages and loop.time() < deadline:  # the server's outbox loop sends it
        await asyncio.sleep(0.05)
    [sent] = fake.sent_messages
    openid = fake.openid_of(RESIDENT_USER)
    assert sent["touser"] == openid and sent["template_id"] == "TPL_MODULE_NOTICE"
    assert sent["data"]["thing1"]["value"] == title and sent["data"]["phrase2"]["value"] == "已签到"
    assert fake.grants_left(openid, "TPL_MODULE_NOTICE") == SANDBOX_GRANTS - 1
    assert fake.grants_left(openid, "TPL_WORK_ORDER_UPDATE") == SANDBOX_GRANTS
