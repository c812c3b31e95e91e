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
