"""Console pages contributed by modules (`Module.console_pages`), in headless Chromium at a
desktop and a phone size: 居民议事 (open and edit a topic, watch participation per grid while
a resident votes, publish the resolution after the deadline) and 村务公开 (publish, see reads
and questions, answer). The console shows a module's pages only where it is enabled, and
serves nothing of a module but its console/ folder."""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

from community_plus_sdk.clock import clock as sdk_clock
from test_admin_console import Console, settle, shot, wait_until
from workorder_fixtures import resident_token

CST = timezone(timedelta(hours=8))
SET = """mutation($c: ID!, $m: String!, $e: Boolean) { setModuleEnabled(communityId: $c, module: $m, enabled: $e) {
  name enabled } }"""
VOTE = "mutation($t: ID!, $o: ID!) { castConsultationVote(topicId: $t, optionId: $o) { optionId } }"
READ = "mutation($id: ID!) { markVillageDisclosureRead(id: $id) { readCount } }"
ASK = "mutation($d: ID!, $t: String!) { askVillageAffairsQuestion(disclosureId: $d, text: $t) { id } }"


async def _toast(page, text: str) -> None:
    await page.locator(".toast").filter(has_text=text).first.wait_for()


async def _enable(gql, world, platform, module: str) -> tuple[str, dict, str]:
    """The module switched on in community 1: (community id, a resident of it, their token)."""
    c1 = world["communities"][0]["_id"]
    await gql.ok(SET, {"c": c1, "m": module, "e": True}, token=await gql.login("admin001"))
    resident = await platform.residents.coll.find_one({"communityId": c1})
    return c1, resident, await resident_token(platform, resident)


def _jpeg() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (40, 120, 200)).save(buf, "JPEG")
    return buf.getvalue()


async def _fits(page) -> None:
    assert await page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth"), page.url


async def test_module_pages_appear_where_enabled_and_serve_only_their_folder(client, gql, world):
    c1, c2 = (c["_id"] for c in world["communities"])
    admin = await gql.login("admin001")
    for module in ("consultation", "village_affairs"):
        await gql.ok(SET, {"c": c1, "m": module, "e": True}, token=admin)
    pages = await gql.ok("{ modules { name consolePages { path title script roles } } }", token=admin)
    found = {m["name"]: m["consolePages"] for m in pages["modules"] if m["consolePages"]}
    assert found["consultation"] == [{"path": "topics", "title": "居民议事", "roles": ["COMMUNITY_ADMIN"],
                                      "script": "/admin/modules/consultation/topics.js"}]
    script = await client.get("/admin/modules/consultation/topics.js")
    assert script.status == 200 and script.content_type == "text/javascript"
    assert "export async function render" in await script.text()
    for path in ("/admin/modules/consultation/../manifest.py", "/admin/modules/consultation/%2e%2e/manifest.py",
                 "/admin/modules/consultation/missing.js", "/admin/modules/nope/topics.js",
                 "/admin/modules/consultation/..%2F__init__.py"):
        assert (await client.get(path)).status == 404, path

    console = Console(str(client.make_url("/admin/")))
    console.start()
    try:
        page = await console.login("admin001")
        nav = await page.locator("nav.sidenav a").all_inner_texts()
        assert "居民议事" in nav and "村务公开" in nav
        page2 = await console.login("admin002")  # the modules are off in the other community
        nav2 = await page2.locator("nav.sidenav a").all_inner_texts()
        assert "居民议事" not in nav2 and "村务公开" not in nav2
        await page2.goto(str(client.make_url("/admin/#/m/consultation/topics")))
        await wait_until(page2, "() => location.hash === '#/dashboard'")  # not a page of that community
        assert not page.js_errors and not page2.js_errors
    finally:
        await console.close()


async def test_consultation_page_open_edit_watch_resolve(client, gql, world, platform):
    c1, resident, voter = await _enable(gql, world, platform, "consultation")
    eligible = await platform.residents.coll.count_documents({"communityId": c1})
    console = Console(str(client.make_url("/admin/")))
    console.start()
    try:
        page = await console.login("admin001")
        await page.locator("nav.sidenav a", has_text="居民议事").click()
        await settle(page)
        await page.get_by_label("标题").fill("小区增设充电桩选址")
        await page.get_by_label("选项（每行一个）").fill("东门车棚\n3号楼北侧")
        deadline = (datetime.now(CST) + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
        await page.get_by_label("截止时间").fill(deadline)
        await page.get_by_role("button", name="发起议题").click()
        await _toast(page, "议题已发起")
        await wait_until(page, "() => location.hash.startsWith('#/m/consultation/topics/')")
        await settle(page)
        topic_id = page.url.split("/topics/")[1].split("?")[0]
        status = page.get_by_test_id("participation")
        await status.filter(has_text=f"参与 0 / {eligible} 人").wait_for()

        await gql.ok(VOTE, {"t": topic_id, "o": "o1"}, token=voter)  # the page refreshes itself while voting runs
        rate = f"{100 / eligible:.1f}%"
        await status.filter(has_text=f"参与 1 / {eligible} 人，参与率 {rate}").wait_for(timeout=15_000)
        in_grid = await platform.residents.coll.count_documents({"communityId": c1, "gridId": resident.get("gridId")})
        grid = await platform.grids.coll.find_one({"_id": resident.get("gridId")})
        row = page.locator("table", has_text="可参与").locator("tr", has_text=grid["name"] if grid else "未分网格")
        assert await row.locator("td").all_inner_texts() == [grid["name"] if grid else "未分网格", str(in_grid), "1",
                                                             f"{100 / in_grid:.1f}%", "东门车棚 1，3号楼北侧 0"]
        await _fits(page)
        await shot(page, "module-consultation")

        await page.get_by_label("标题").fill("小区增设电动车充电桩选址")
        await page.get_by_role("button", name="保存修改").click()
        await _toast(page, "议题已修改")
        await page.get_by_role("heading", name="小区增设电动车充电桩选址").wait_for()

        sdk_clock.set(datetime.now(CST) + timedelta(days=3))  # the deadline passes (the server runs in this process)
        await page.reload()
        await settle(page)
        await page.get_by_label("决议内容").fill("选址东门车棚，下月施工")
        await page.get_by_role("button", name="公布决议").click()
        await _toast(page, "决议已公布")
        await page.locator("dd", has_text="选址东门车棚").wait_for()
        stored = await platform.db["consultation__topics"].find_one({"_id": topic_id})
        assert stored["state"] == "resolved" and stored["finalEligible"]["total"] == eligible

        phone = await console.login("admin001", size="390x844")
        await phone.goto(str(client.make_url(f"/admin/#/m/consultation/topics/{topic_id}")))
        await settle(phone)
        await phone.get_by_test_id("participation").filter(has_text="（决议时）").wait_for()
        await _fits(phone)
        await shot(phone, "module-consultation")
        await phone.goto(str(client.make_url("/admin/#/m/consultation/topics")))
        await settle(phone)
        await _fits(phone)
        assert not page.js_errors and not phone.js_errors, page.js_errors + phone.js_errors
    finally:
        sdk_clock.reset()
        await console.close()


async def test_village_affairs_page_publish_reads_questions_answer(client, gql, world, platform):
    _, _, reader = await _enable(gql, world, platform, "village_affairs")
    console = Console(str(client.make_url("/admin/")))
    console.start()
    try:
        page = await console.login("admin001")
        await page.locator("nav.sidenav a", has_text="村务公开").click()
        await settle(page)
        await page.get_by_role("button", name=f"采用{datetime.now(CST).year}年标准公开目录").click()
        await _toast(page, "已采用标准目录")
        await settle(page)
        await page.get_by_label("类别").select_option("PROJECTS")
        await page.get_by_label("标题", exact=True).fill("村道硬化工程公示")
        await page.get_by_label("内容").fill("工程预算 38 万元，施工单位：某建设公司。")
        await page.get_by_label("附件").set_input_files([{"name": "预算表.jpg", "mimeType": "image/jpeg",
                                                          "buffer": _jpeg()}])
        await page.get_by_role("button", name="发布", exact=True).click()
        await _toast(page, "已发布")
        await page.locator("td", has_text="村道硬化工程公示").wait_for()
        disclosure = await platform.db["village_affairs__disclosures"].find_one({"title": "村道硬化工程公示"})
        assert len(disclosure["attachmentIds"]) == 1  # uploaded by the page, attached to the disclosure

        await gql.ok(READ, {"id": disclosure["_id"]}, token=reader)
        await gql.ok(ASK, {"d": disclosure["_id"], "t": "施工期间道路如何通行？"}, token=reader)
        await page.reload()
        await settle(page)
        figures = page.get_by_test_id("figures")
        await figures.locator(".kpi", has_text="居民阅读").filter(has_text="1").wait_for()
        await figures.locator(".kpi", has_text="待答复").filter(has_text="1").wait_for()
        await _fits(page)
        await shot(page, "module-village-affairs")
        await page.get_by_role("button", name="答复").click()
        await page.get_by_label("答复内容").fill("施工期间开放北侧便道。")
        await page.get_by_role("button", name="发布答复").click()
        await _toast(page, "已答复")
        question = await platform.db["village_affairs__questions"].find_one({"disclosureId": disclosure["_id"]})
        assert question["state"] == "answered" and question["answer"]["text"] == "施工期间开放北侧便道。"

        phone = await console.login("admin001", size="390x844")
        await phone.goto(str(client.make_url("/admin/#/m/village_affairs/disclosures")))
        await settle(phone)
        await phone.locator("td", has_text="村道硬化工程公示").wait_for()
        await _fits(phone)
        await shot(phone, "module-village-affairs")
        assert not page.js_errors and not phone.js_errors, page.js_errors + phone.js_errors
    finally:
        await console.close()


def test_console_page_declarations_are_checked():
    from community_plus_sdk import Module
    from community_plus_sdk.console import ConsolePage

    good = ConsolePage("topics", "居民议事", "topics.js")
    assert good.problems() == [] and good.roles == ("community_admin",)
    bad = Module(name="notice_board", title="公告", version="1.0.0", console_pages=(
        good, ConsolePage("topics", "", "../x.py", roles=("resident",))))
    problems = bad.problems()
    assert any("different paths" in p for p in problems)
    assert any("menu title" in p for p in problems)
    assert any(".js file inside the package's console/ folder" in p for p in problems)
    assert any("roles must be some of" in p for p in problems)
