"""The console's 12349 hotline and linkage pages in headless Chromium, as their users work:
an operator takes a call and later makes the return visit; a community escalates, the street
dispatches to a department, the department resolves."""

from __future__ import annotations

from community_plus.domains.staff.accounts import create_staff_user

from governance_fixtures import PASSWORD, resident_of, tree  # noqa: F401
from test_admin_console import Console, settle, shot, wait_until


async def _console(client) -> Console:
    c = Console(str(client.make_url("/admin/")))
    c.start()
    return c


async def _toast(page, text: str) -> None:
    await page.locator(".toast").filter(has_text=text).first.wait_for()


async def test_hotline_desk_call_to_return_visit(client, gql, platform, tree):
    console = await _console(client)
    try:
        await tree["staff"]("hotline1", "hotline_operator", region_id=tree["streets"][0]["_id"])
        resident, resident_tok = await resident_of(platform, tree["communities"][0]["_id"])
        phone = platform.residents.reveal(resident, "phone")
        page = await console.login("hotline1")
        await wait_until(page, "() => location.hash === '#/hotline'")
        await settle(page)
        assert await page.locator("nav.sidenav a").all_inner_texts() == ["12349热线"]
        await page.get_by_role("textbox", name="来电号码").fill(phone)
        await page.get_by_role("button", name="查找来电人").click()
        await page.get_by_role("status").filter(has_text="找到").wait_for()
        await page.get_by_role("button", name="选择").first.click()
        await page.get_by_label("来电摘要").fill("反映楼道灯不亮")
        await page.get_by_label("问题描述（生成工单）").fill("3号楼楼道灯坏了")
        await page.get_by_role("button", name="提交受理").click()
        await _toast(page, "工单已生成")
        await page.get_by_role("status").filter(has_text="共 1 次来电").wait_for()
        await shot(page, "hotline")
        call = await platform.parts["hotline.calls"].coll.find_one({})
        order_id = call["workOrderId"]
        assert call["residentId"] == resident["_id"] and call["operatorName"] == "hotline1"
        assert (await platform.work_orders.get(order_id))["channel"] == "hotline"
        mine = await gql.ok("{ workOrders { edges { node { id channel } } } }", token=resident_tok)
        assert {"id": order_id, "channel": "HOTLINE"} in [e["node"] for e in mine["workOrders"]["edges"]]

        admin = await gql.login("admin001")
        await gql.ok("mutation($id: ID!) { acceptWorkOrder(id: $id) { state } }", {"id": order_id}, token=admin)
        await gql.ok("mutation($id: ID!) { assignWorkOrder(id: $id) { state } }", {"id": order_id}, token=admin)
        worker = await gql.login("gw0011")
        await gql.ok("mutation($id: ID!) { startWorkOrder(id: $id) { state } }", {"id": order_id}, token=worker)
        await gql.ok("mutation($id: ID!) { resolveWorkOrder(id: $id, note: \"已修好\") { state } }", {"id": order_id},
                     token=worker)
        await page.reload()
        await settle(page)
        await page.get_by_role("button", name="回访").click()
        await page.get_by_label("满意度").select_option("VERY_SATISFIED")
        await page.get_by_label("回访记录").fill("居民很满意")
        await page.get_by_role("button", name="保存回访").click()
        await _toast(page, "回访已记录")
        visit = await platform.parts["hotline.visits"].coll.find_one({"workOrderId": order_id})
        assert visit["satisfaction"] == "very_satisfied" and visit["note"] == "居民很满意"
        assert not page.js_errors, page.js_errors
    finally:
        await console.close()


async def test_linkage_page_escalate_dispatch_resolve(client, gql, platform, tree):
    console = await _console(client)
    try:
        s1 = tree["streets"][0]["_id"]
        street = await tree["staff"]("street1", "region_admin", region_id=s1)
        dept = (await gql.ok("mutation($i: DepartmentInput!) { createDepartment(input: $i) { id } }",
                             {"i": {"regionId": s1, "name": "市政办"}}, token=street))["createDepartment"]
        await create_staff_user(platform, username="dept1", password=PASSWORD, role="department_staff",
                                display_name="城管办张三", department_id=dept["id"])
        _, resident_tok = await resident_of(platform, tree["communities"][0]["_id"])
        order = (await gql.ok("mutation { submitWorkOrder(input: {description: \"道路塌陷\"}) { id } }",
                              token=resident_tok))["submitWorkOrder"]

        page = await console.login("admin001")
        await page.locator("nav.sidenav a", has_text="联动指挥").click()
        await settle(page)
        await page.get_by_role("button", name="上报上级").first.click()
        await page.get_by_label("上报理由").fill("超出社区职责")
        await page.locator("dialog").get_by_role("button", name="上报上级").click()
        await _toast(page, "已上报上级")
        await page.close()

        page = await console.login("street1")
        await page.locator("nav.sidenav a", has_text="联动指挥").click()
        await settle(page)
        await page.get_by_role("status").filter(has_text="共 1 件待办").wait_for()
        await page.get_by_role("button", name="派至部门").click()
        await page.get_by_label("职能部门", exact=True).select_option(dept["id"])
        await page.get_by_label("办理要求").fill("三日内修复")
        await page.locator("dialog").get_by_role("button", name="派至部门").click()
        await _toast(page, "已派至部门")
        await shot(page, "linkage")
        await page.close()

        page = await console.login("dept1")
        await wait_until(page, "() => location.hash === '#/linkage'")
        await settle(page)
        await page.get_by_role("button", name="办结").click()
        await page.get_by_label("办理结果").fill("已修复")
        await page.locator("dialog").get_by_role("button", name="办结").click()
        await _toast(page, "已办结")
        assert (await platform.work_orders.get(order["id"]))["state"] == "resolved"
        assert not page.js_errors, page.js_errors
        stats = (await gql.ok("{ linkageStatistics { byDepartment { title resolved } } }",
                              token=street))["linkageStatistics"]
        assert stats["byDepartment"] == [{"title": "市政办", "resolved": 1}]
    finally:
        await console.close()
