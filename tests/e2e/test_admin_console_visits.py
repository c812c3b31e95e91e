"""The console's resident detail shows the resident's home visits (read audited)."""

from __future__ import annotations

from test_admin_console import console, goto, shot  # noqa: F401  (fixture and helpers)
from test_visits import RECORD


async def test_resident_detail_lists_visits(console, gql, world, platform):  # noqa: F811
    worker = await platform.users.by_username("gw0011")
    resident = await platform.residents.coll.find_one({"gridId": worker["gridIds"][0]})
    token = await gql.login("gw0011")
    visit = (await gql.ok(RECORD, {"i": {"residentId": resident["_id"], "purpose": "CARE", "notes": "独居老人，状态良好",
                                         "followUp": {"description": "需要助浴服务"}}}, token=token))["recordVisit"]
    page = await console.login("admin001")
    await goto(page, f"#/residents/{resident['_id']}")
    section = page.get_by_role("region", name="走访记录")
    await section.get_by_role("cell", name="独居老人，状态良好").wait_for()
    assert "关爱探视" in await section.inner_text() and "未定位" in await section.inner_text()
    assert await section.get_by_role("link", name="跟进工单").get_attribute("href") == \
        f"#/work-orders/{visit['workOrderId']}"
    await shot(page, "resident-visits")
    assert await platform.audit.coll.count_documents({"action": "visit_history_read", "entityId": resident["_id"],
                                                      "actorRole": "community_admin"}) == 1
    assert not page.js_errors, page.js_errors


async def test_visit_plans_on_the_grids_page(console, gql, world):  # noqa: F811
    page = await console.login("admin001")
    await goto(page, "#/grids")
    card = page.get_by_role("region", name="走访计划")
    await card.get_by_text("尚未设置走访计划").wait_for()
    await card.get_by_label("重点人群").select_option("LIVING_ALONE")
    await card.get_by_label("走访间隔（天）").fill("7")
    await card.get_by_role("button", name="保存计划").click()
    await card.get_by_text("独居：每 7 天走访一次").wait_for()
    admin = await gql.login("admin001")
    assert (await gql.ok("{ visitPlans { tag intervalDays } }", token=admin))["visitPlans"] == \
        [{"tag": "LIVING_ALONE", "intervalDays": 7}]
    await shot(page, "visit-plans")
    await card.get_by_role("button", name="删除独居的走访计划").click()
    await card.get_by_text("尚未设置走访计划").wait_for()
    assert (await gql.ok("{ visitPlans { tag } }", token=admin))["visitPlans"] == []
    assert not page.js_errors, page.js_errors
