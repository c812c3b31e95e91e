"""The console's modules page issues and revokes invitations for module providers' staff."""

from __future__ import annotations

from test_admin_console import console, goto, shot  # noqa: F401  (fixture and helpers)


async def test_admin_issues_and_revokes_a_staff_invitation(console, gql, world):  # noqa: F811
    page = await console.login("admin001")
    await goto(page, "#/modules")
    card = page.get_by_role("region", name="服务人员邀请")
    await card.get_by_text("暂无邀请").wait_for()
    await card.get_by_label("受邀人姓名").fill("王护理")
    await card.get_by_label("模块").select_option("elder_care")
    await card.get_by_label("身份").select_option("care_worker")
    await card.get_by_role("button", name="生成邀请码").click()
    dialog = page.get_by_role("dialog")
    code = await dialog.locator(".invitation-code").inner_text()
    assert len(code) == 8 and code.isalnum()
    await shot(page, "staff-invitation")
    await dialog.get_by_role("button", name="我已记下").click()
    await card.get_by_text("王护理").wait_for()
    admin = await gql.login("admin001")
    nodes = (await gql.ok("{ staffInvitations { edges { node { name module role state } } } }", token=admin)
             )["staffInvitations"]["edges"]
    assert [n["node"] for n in nodes] == [{"name": "王护理", "module": "elder_care", "role": "care_worker",
                                           "state": "PENDING"}]
    await card.get_by_role("button", name="撤销王护理的邀请").click()
    await card.get_by_text("已撤销").wait_for()
    assert not page.js_errors, page.js_errors
