"""The console's staff page, login lockout message and TOTP step, at a desktop and a phone size."""

from __future__ import annotations

import pyotp
import pytest

from test_admin_console import PASSWORD, console, goto, settle, shot, wait_until  # noqa: F401  (fixture)

SIZES = ["1280x800", "390x844"]


async def _no_sideways_scroll(page) -> None:
    assert await page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth"), page.url


@pytest.mark.parametrize("size", SIZES)
async def test_staff_page_create_disable_reset(console, world, gql, platform, size):
    page = await console.login("admin001", size=size)
    await page.get_by_role("link", name="工作人员").click()
    await page.locator("main h1").filter(has_text="工作人员").wait_for()  # the click navigates, then renders
    await settle(page)
    assert await page.locator("main h1").inner_text() == "工作人员"
    await _no_sideways_scroll(page)
    await page.locator('tr[data-username="gw0011"]').wait_for()  # the list loads after the heading
    assert await page.locator('tr[data-username="gw0011"]').count() == 1
    assert await page.locator('tr[data-username="admin"]').count() == 0  # the platform admin is out of scope
    await shot(page, "staff")

    # create a grid worker
    await page.get_by_role("button", name="新建账号").click()
    dlg = page.locator("dialog")
    await dlg.get_by_label("用户名").fill("gw_phone")
    await dlg.get_by_label("姓名").fill("手机网格员")
    await dlg.get_by_label("初始密码").fill("first-password")
    await dlg.get_by_label("角色").select_option("GRID_WORKER")
    await dlg.get_by_role("button", name="创建").click()
    await page.locator('tr[data-username="gw_phone"]').wait_for()
    assert (await platform.users.by_username("gw_phone"))["role"] == "grid_worker"
    await gql.login("gw_phone", "first-password")

    # disable it: its sessions end; enable again
    row = page.locator('tr[data-username="gw_phone"]')
    await row.get_by_role("button", name="停用：gw_phone").click()
    await page.locator('tr[data-username="gw_phone"]').get_by_text("已停用").wait_for()
    await gql.error("UNAUTHENTICATED", "mutation($u:String!,$p:String!){loginWithPassword(username:$u,password:$p){accessToken}}",
                    {"u": "gw_phone", "p": "first-password"})
    await page.locator('tr[data-username="gw_phone"]').get_by_role("button", name="启用：gw_phone").click()
    await page.locator('tr[data-username="gw_phone"]').get_by_text("正常").wait_for()

    # a one-time reset code, redeemed on the login page
    await page.locator('tr[data-username="gw_phone"]').get_by_role("button", name="重置密码：gw_phone").click()
    code = await page.get_by_test_id("reset-code").inner_text()
    await _no_sideways_scroll(page)
    await page.locator("dialog").get_by_role("button", name="已转交").click()
    await goto(page, "#/audit")
    await page.locator("table tbody td").filter(has_text="签发密码重置码").first.wait_for()
    await _no_sideways_scroll(page)

    login = await console.page(size)
    await login.goto(console.base_url)
    await login.get_by_role("button", name="使用重置码设置新密码").click()
    await login.locator("dialog").get_by_label("重置码").fill(code)
    await login.locator("dialog").get_by_label("新密码").fill("second-password")
    await login.locator("dialog").get_by_role("button", name="设置新密码").click()
    await login.get_by_text("新密码已生效").wait_for()
    await gql.login("gw_phone", "second-password")
    await login.close()
    await page.close()


@pytest.mark.parametrize("size", SIZES)
async def test_lockout_message_and_totp_login(console, world, gql, size):
    page = await console.page(size)
    await page.goto(console.base_url)
    await page.get_by_label("用户名").fill("admin002")
    for _ in range(5):
        await page.get_by_label("密码", exact=True).fill("wrong-password")
        await page.get_by_role("button", name="登录").click()
        await page.get_by_role("alert").filter(has_text="用户名或密码错误").wait_for()
        await wait_until(page, "() => !document.querySelector('button[type=submit]').disabled")
    await page.get_by_label("密码", exact=True).fill(PASSWORD)
    await page.get_by_role("button", name="登录").click()
    alert = page.get_by_role("alert").filter(has_text="账号已临时锁定")
    await alert.wait_for()
    assert "(" not in await alert.inner_text()  # the English hint stays out of the message
    await _no_sideways_scroll(page)
    await shot(page, "login-locked")
    await page.close()

    # TOTP: enrol on the staff page, then the login asks for the code
    page = await console.login("admin001", size=size)
    await goto(page, "#/staff")
    await page.get_by_role("button", name="开启动态验证码").click()
    secret = await page.get_by_test_id("totp-secret").inner_text()
    await page.get_by_label("验证码").fill(pyotp.TOTP(secret).now())
    await page.get_by_role("button", name="确认开启").click()
    await page.get_by_text("已开启动态验证码").wait_for()
    await _no_sideways_scroll(page)
    await page.close()

    page = await console.page(size)
    await page.goto(console.base_url)
    await page.get_by_label("用户名").fill("admin001")
    await page.get_by_label("密码", exact=True).fill(PASSWORD)
    await page.get_by_role("button", name="登录").click()
    await page.get_by_label("动态验证码").wait_for()
    await page.get_by_label("动态验证码").fill(pyotp.TOTP(secret).now())
    await page.get_by_role("button", name="登录").click()
    await page.locator("nav.sidenav").wait_for()
    await settle(page)
    await page.close()


@pytest.mark.parametrize("size", SIZES)
async def test_audit_filters_by_settings_action_and_operator_name(console, world, gql, size):
    c1 = world["communities"][0]["_id"]
    admin = await gql.login("admin001")
    await gql.ok("mutation($c: ID!) { setModuleEnabled(communityId: $c, module: \"test_notices\", enabled: true) { enabled } }",
                 {"c": c1}, token=admin)
    upd = "mutation($c: ID!, $s: JSON!) { updateModuleSettings(communityId: $c, module: \"test_notices\", settings: $s) { settings } }"
    await gql.ok(upd, {"c": c1, "s": {"maxPinned": 2}}, token=admin)
    await gql.ok(upd, {"c": c1, "s": {"maxPinned": 2}}, token=admin)  # unchanged: not logged
    page = await console.login("admin001", size=size)
    await goto(page, "#/audit")
    await page.get_by_label("操作", exact=True).select_option(label="修改模块设置")
    await page.get_by_label("操作人").select_option(label="长江社区管理员（admin001）")
    await page.get_by_role("button", name="筛选").click()
    await wait_until(page, "() => location.hash.includes('actorId=') && location.hash.includes('update_module_settings')")
    await settle(page)
    await wait_until(page, "() => document.querySelectorAll('section.results table tbody tr').length === 1")
    rows = page.locator("section.results table tbody tr")
    assert "修改模块设置" in await rows.first.inner_text()
    await _no_sideways_scroll(page)
    await shot(page, "audit-filtered")
    await page.close()


@pytest.mark.parametrize("size", SIZES)
async def test_settings_form_labels_and_tag_picker(console, world, gql, size):
    c1 = world["communities"][0]["_id"]
    admin = await gql.login("admin001")
    await gql.ok("mutation($c: ID!) { setModuleEnabled(communityId: $c, module: \"elder_care\", enabled: true) { enabled } }",
                 {"c": c1}, token=admin)
    page = await console.login("admin001", size=size)
    await goto(page, "#/modules")
    card = page.locator('article[data-module="elder_care"]')
    await card.get_by_role("button", name="设置", exact=True).click()
    await card.get_by_text("每月补贴时长（小时）").first.wait_for()
    text = await card.inner_text()
    assert "hoursPerMonth" not in text and "minAge" not in text  # labels come from the schema's titles
    assert "同时符合多条时取最优惠的一条" in text and "most generous" not in text  # Chinese help only
    # tags are a picker with Chinese labels; the second default rule has LOW_INCOME ticked
    low_income = card.get_by_role("checkbox", name="低收入")
    assert await low_income.count() == 2
    assert await low_income.nth(1).is_checked() and not await low_income.nth(0).is_checked()
    await low_income.nth(0).check()
    await card.get_by_role("button", name="保存设置").click()
    await card.locator(".save-status.ok").wait_for()
    modules = {m["name"]: m for m in (await gql.ok("{ modules { name settings } }", token=admin))["modules"]}
    assert modules["elder_care"]["settings"]["subsidyRules"][0]["tags"] == ["LOW_INCOME"]
    await _no_sideways_scroll(page)
    await shot(page, "modules-settings-labels")
    await page.close()


@pytest.mark.parametrize("size", SIZES)
async def test_module_charts_never_mix_units(console, world, gql, size):
    c1 = world["communities"][0]["_id"]
    admin = await gql.login("admin001")
    for module in ("elder_care", "meal_assist", "micro_charity", "test_notices"):
        await gql.ok("mutation($c: ID!, $m: String!) { setModuleEnabled(communityId: $c, module: $m, enabled: true) "
                     "{ enabled } }", {"c": c1, "m": module}, token=admin)
    stats = (await gql.ok("query($c: ID) { moduleStatistics(communityId: $c) { unit value } }", {"c": c1},
                          token=admin))["moduleStatistics"]
    units = {s["unit"] or "" for s in stats if s["value"] is not None}
    assert len(units) > 1  # the modules report figures in several units
    page = await console.login("admin001", size=size)
    await page.locator(".module-stats .kpi").first.wait_for()
    charts = await page.evaluate("""() => [...document.querySelectorAll('[data-chart^="chart-modules"]')].map((c) => ({
        unit: c.dataset.unit, values: [...c.querySelectorAll('tbody tr td:last-child')].map((td) => td.textContent) }))""")
    assert charts, "at least one unit has several figures"
    for chart in charts:
        assert len(chart["values"]) > 1
        assert all(v.endswith(chart["unit"]) and not v.endswith("%" if chart["unit"] != "%" else "元") for v in chart["values"])
    assert len({c["unit"] for c in charts}) == len(charts)  # one chart per unit
    await _no_sideways_scroll(page)
    await shot(page, "dashboard-module-units")
    await page.close()


@pytest.mark.parametrize("size", SIZES)
async def test_work_order_number_search_and_note(console, world, gql, platform, size):
    from workorder_fixtures import CREATE_ITEM, FORM, GOOD_ANSWERS, SET_STATE, resident_token

    admin = await gql.login("admin001")
    item = (await gql.ok(CREATE_ITEM, {"input": {"title": "居家保洁", "kind": "VOLUNTEER", "slaHours": 24, "form": FORM}},
                         token=admin))["createServiceItem"]
    await gql.ok(SET_STATE, {"id": item["id"], "s": "PUBLISHED"}, token=admin)
    residents = await platform.residents.coll.find({"communityId": world["communities"][0]["_id"],
                                                    "relation": "self"}).sort("_id", 1).to_list()
    submit = "mutation($input: SubmitWorkOrderInput!) { submitWorkOrder(input: $input) { id number } }"
    orders = [(await gql.ok(submit, {"input": {"itemId": item["id"], "answers": GOOD_ANSWERS}},
                            token=await resident_token(platform, r)))["submitWorkOrder"] for r in residents[:2]]
    page = await console.login("admin001", size=size)
    await goto(page, "#/work-orders")
    await page.get_by_label("工单号").fill(orders[1]["number"].lower())
    await page.get_by_role("button", name="筛选").click()
    await wait_until(page, "() => location.hash.includes('number=')")
    await settle(page)
    await wait_until(page, "() => document.querySelectorAll('section.results tbody tr').length === 1")
    await page.locator("section.results tbody a").first.click()
    await page.get_by_test_id("wo-number").wait_for()
    assert await page.get_by_test_id("wo-number").inner_text() == orders[1]["number"]
    await page.get_by_label("添加备注").fill("已电话联系居民，明早上门")
    await page.get_by_role("button", name="添加备注").click()
    note = page.locator(".timeline li").filter(has_text="已电话联系居民")
    await note.wait_for()
    assert "长江社区管理员" in await note.inner_text()  # the timeline names the actor
    await _no_sideways_scroll(page)
    await shot(page, "work-order-note")
    await page.close()


@pytest.mark.parametrize("size", SIZES)
async def test_resident_export_button_downloads_masked_csv(console, world, platform, size):
    page = await console.login("admin001", size=size)
    await goto(page, "#/residents")
    await _no_sideways_scroll(page)
    async with page.expect_download() as info:
        await page.get_by_role("button", name="导出 CSV").click()
    download = await info.value
    assert download.suggested_filename.startswith("residents-") and download.suggested_filename.endswith(".csv")
    text = open(await download.path(), encoding="utf-8-sig").read()
    assert text.startswith("姓名,性别") and "****" in text
    assert await platform.audit.coll.count_documents({"action": "export_residents"}) == 1
    await page.close()
