"""End-to-end tests of the admin console (/admin/) in headless Chromium, driven by Playwright.

Each test runs a live server (aiohttp's test server on a real port, fresh database, two seeded
communities) and Debian's `chromium` (never a downloaded browser build). Screenshots of every
page go to test-artifacts/admin-console/. A missing browser is a failure, not a skip.
"""

from __future__ import annotations

import asyncio
import os
import re
from contextlib import AsyncExitStack
from pathlib import Path

import pytest

from workorder_fixtures import CREATE_ITEM, FORM, GOOD_ANSWERS, SET_STATE, SUBMIT, resident_token

CHROMIUM = os.environ.get("CP_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "admin-console"
SIZES = {"1280x800": (1280, 800), "1920x1080": (1920, 1080), "390x844": (390, 844)}  # desktops and a phone
PASSWORD = "community-plus"

SET_ENABLED = """mutation($c: ID!, $m: String!, $e: Boolean) {
  setModuleEnabled(communityId: $c, module: $m, enabled: $e) { enabled } }"""
QUERY_FIELDS = '{ __type(name: "Query") { fields { name } } }'
MODULES = "{ modules { name enabled settings } }"
ORDER = "query($id: ID!) { workOrder(id: $id) { state assignee { id name } timeline { action } } }"


class Console:
    """Chromium (started in the background while the test data is seeded) and pages on the live server."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self._stack = AsyncExitStack()
        self._launching: asyncio.Task | None = None

    def start(self) -> None:
        if Path(CHROMIUM).exists() and _playwright() is not None:
            self._launching = asyncio.create_task(self._launch())

    async def _launch(self):
        playwright = await self._stack.enter_async_context(_playwright()())
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        self._stack.push_async_callback(browser.close)
        return browser

    async def browser(self):
        if not Path(CHROMIUM).exists():
            pytest.fail(f"Chromium is not installed ({CHROMIUM} is missing): the admin-console end-to-end tests need "
                        "Debian's browser. Install it with `apt-get install -y chromium` (`make test` does this as root: scripts/system-deps).",
                        pytrace=False)
        if _playwright() is None:
            pytest.fail("Playwright for Python is not installed: `pip install -e '.[dev]'` (it is in the dev extra). "
                        "Do not run `playwright install`: the tests use Debian's chromium.", pytrace=False)
        if self._launching is None:
            self.start()
        return await self._launching

    async def page(self, size: str = "1280x800"):
        width, height = SIZES[size]
        browser = await self.browser()
        context = await browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN",
                                            timezone_id="Asia/Shanghai")
        page = await context.new_page()
        page.set_default_timeout(10_000)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.js_errors = errors  # checked by `settle`
        return page

    async def login(self, username: str = "admin001", size: str = "1280x800"):
        page = await self.page(size)
        await page.goto(self.base_url)
        await page.get_by_label("用户名").fill(username)
        await page.get_by_label("密码").fill(PASSWORD)
        await page.get_by_role("button", name="登录").click()
        await page.locator("nav.sidenav").wait_for()
        await settle(page)
        return page

    async def close(self) -> None:
        if self._launching is not None:
            await asyncio.gather(self._launching, return_exceptions=True)
        await self._stack.aclose()


def _playwright():
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        return None
    return async_playwright


async def wait_until(page, expression: str, arg=None, timeout: float = 10.0) -> None:
    """Poll a JS function until it returns true. (Playwright's wait_for_function evaluates strings inside
    the page, which the console's Content-Security-Policy forbids: it is kept on in these tests.)"""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await page.evaluate(expression, arg):
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {expression} (arg={arg!r}) on {page.url}")
        await asyncio.sleep(0.05)


async def settle(page) -> None:
    """Wait until the current page has rendered (heading shown, nothing loading) without JS errors."""
    await wait_until(page, "() => !!document.querySelector('main h1') && !document.querySelector('main .loading')")
    assert not page.js_errors, page.js_errors


async def goto(page, hash_: str) -> None:
    await page.evaluate("h => { location.hash = h }", hash_)
    await wait_until(page, "h => location.hash === h", hash_)
    await settle(page)


async def shot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    path = ARTIFACTS / f"{name}-{size['width']}x{size['height']}.png"
    await page.evaluate("window.scrollTo(0, 0)")  # the top bar is sticky: capture from the top
    await page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
async def console(client):
    c = Console(str(client.make_url("/admin/")))
    c.start()
    yield c
    await c.close()


@pytest.fixture
async def desk(gql, world, platform):
    """Community 1 with the notice-board module on, a published item and two submitted orders."""
    c1 = world["communities"][0]["_id"]
    admin = await gql.login("admin001")
    await gql.ok(SET_ENABLED, {"c": c1, "m": "test_notices", "e": True}, token=admin)
    item = (await gql.ok(CREATE_ITEM, {"input": {"title": "居家保洁", "kind": "VOLUNTEER", "slaHours": 24,
                                                 "form": FORM}}, token=admin))["createServiceItem"]
    await gql.ok(SET_STATE, {"id": item["id"], "s": "PUBLISHED"}, token=admin)
    residents = await platform.residents.coll.find({"communityId": c1, "relation": "self"}).sort("_id", 1).to_list()
    orders = []
    for r in residents[:2]:
        token = await resident_token(platform, r)
        orders.append((await gql.ok(SUBMIT, {"input": {"itemId": item["id"], "answers": GOOD_ANSWERS}},
                                    token=token))["submitWorkOrder"])
    return {"community": c1, "admin": admin, "item": item, "orders": orders, "residents": residents}


# -- tests ---------------------------------------------------------------------------------------
async def test_console_files_are_served_offline_with_a_strict_policy(client):
    resp = await client.get("/admin", allow_redirects=False)
    assert resp.status == 308 and resp.headers["Location"] == "/admin/"
    resp = await client.get("/admin/")
    html = await resp.text()
    assert resp.status == 200 and resp.content_type == "text/html" and 'lang="zh-CN"' in html
    policy = resp.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    # everything the page loads is served here: no CDN, no absolute URL to elsewhere
    assert not re.search(r"(src|href)=\"(https?:)?//", html)
    for path in re.findall(r'(?:src|href)="([^"#]+)"', html):
        assert (await client.get(f"/admin/{path}")).status == 200, path
    chart = await (await client.get("/admin/vendor/chart.umd.min.js")).text()
    assert chart.startswith("/*!\n * Chart.js v4") and "Released under the MIT License" in chart[:300]
    assert (await client.get("/admin/js/app.js")).content_type in ("application/javascript", "text/javascript")
    assert (await client.get("/admin/js/")).status in (403, 404)  # no directory listings
    assert (await client.get("/admin/missing.js")).status == 404


async def test_login_every_page_at_both_sizes_and_the_dashboard(console, desk, gql):
    page = await console.page()
    await page.goto(console.base_url.rstrip("/"))  # /admin redirects to /admin/
    await page.get_by_label("用户名").wait_for()
    await wait_until(page, "() => location.pathname === '/admin/' && location.hash === '#/login'")
    # a wrong password is refused with a visible message
    await page.get_by_label("用户名").fill("admin001")
    await page.get_by_label("密码").fill("wrong")
    await page.get_by_role("button", name="登录").click()
    await page.get_by_role("alert").filter(has_text="用户名或密码错误").wait_for()
    await page.close()

    stats = (await gql.ok("{ statistics { total } }", token=desk["admin"]))["statistics"]
    pages = {"dashboard": "数据概览", "modules": "模块管理", "work-orders": "工单受理", "residents": "居民信息",
             "grids": "网格管理", "audit": "审计日志"}
    for size in SIZES:
        page = await console.page(size)
        await page.goto(console.base_url)
        await page.get_by_label("用户名").wait_for()
        await shot(page, "login")
        await page.close()
        page = await console.login(size=size)
        assert await page.evaluate("JSON.parse(sessionStorage.getItem('cp.admin.session')).refreshToken")
        for route, title in pages.items():
            await goto(page, f"#/{route}")
            assert await page.locator("main h1").first.inner_text() == title
            assert await page.locator('nav a[aria-current="page"]').inner_text() == title
            # laid out for the screen: nothing wider than the viewport, navigation and heading visible
            assert await page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth"), (route, size)
            assert await page.locator("nav.sidenav").is_visible()
            if route == "dashboard":
                await check_dashboard(page, stats["total"])
            await shot(page, route)
        # keyboard: after a load, the first Tab reaches the skip link, which moves focus to the content
        await page.reload()
        await settle(page)
        await page.keyboard.press("Tab")
        assert await page.evaluate("document.activeElement.textContent") == "跳到主要内容"
        await page.keyboard.press("Enter")
        assert await page.evaluate("document.activeElement.id") == "main"
        await page.close()


async def check_dashboard(page, total: int) -> None:
    await page.locator("canvas#chart-states").wait_for()
    assert await page.evaluate("Object.keys(Chart.instances).length") >= 5
    kpi = page.locator(".kpi").filter(has_text="工单总数").locator(".kpi-value")
    assert await kpi.inner_text() == str(total) == "2"
    states = page.locator('[data-chart="chart-states"]')
    await states.get_by_text("查看数据表").click()  # every chart has its numbers as a table
    assert "待受理" in await states.locator("table").inner_text()
    # figures contributed by the enabled notice-board module
    assert "公告数" in await page.locator(".module-stats").inner_text()
    await goto(page, "#/dashboard?days=7")
    assert await page.locator("select[name=days]").input_value() == "7"
    await page.locator("canvas#chart-states").wait_for()
    assert not page.js_errors, page.js_errors


async def test_module_switch_and_settings_form(console, desk, gql):
    admin = desk["admin"]
    fields = lambda data: {f["name"] for f in data["__type"]["fields"]}  # noqa: E731
    assert "pinnedNotices" in fields(await gql.ok(QUERY_FIELDS, token=admin))

    page = await console.login()
    await goto(page, "#/modules")
    switch = page.get_by_role("switch", name="启用「测试公告栏」")
    assert await switch.get_attribute("aria-checked") == "true"
    await shot(page, "modules-enabled")

    # disabling asks first; cancelling changes nothing
    await switch.click()
    dialog = page.get_by_role("dialog")
    await dialog.get_by_text("停用「测试公告栏」？").wait_for()
    await shot(page, "modules-confirm-disable")
    await dialog.get_by_role("button", name="取消").click()
    assert await switch.get_attribute("aria-checked") == "true"
    assert "pinnedNotices" in fields(await gql.ok(QUERY_FIELDS, token=admin))

    await switch.click()
    await dialog.get_by_role("button", name="停用").click()
    await wait_until(page, """() => document.querySelector('[data-module="test_notices"] [role=switch]')
                   ?.getAttribute('aria-checked') === 'false'""")
    assert "已停用" in await page.locator('[data-module="test_notices"] .pill').inner_text()
    # the community's schema no longer has the module's fields; calling one says why
    assert "pinnedNotices" not in fields(await gql.ok(QUERY_FIELDS, token=admin))
    err = await gql.error("MODULE_DISABLED", "{ pinnedNotices }", token=admin)
    assert err["extensions"]["module"] == "test_notices"
    await shot(page, "modules-disabled")

    # keyboard: focus is back on the switch; Space turns the module on again (no confirmation)
    assert await page.evaluate("document.activeElement.getAttribute('role')") == "switch"
    await page.keyboard.press("Space")
    await wait_until(page, """() => document.querySelector('[data-module="test_notices"] [role=switch]')
                   ?.getAttribute('aria-checked') === 'true'""")
    assert "pinnedNotices" in fields(await gql.ok(QUERY_FIELDS, token=admin))
    assert not page.js_errors, page.js_errors

    # settings: one invalid value (the server says why, next to the field), then a valid one
    card = page.locator('article[data-module="test_notices"]')
    toggle = card.get_by_role("button", name="设置", exact=True)
    await toggle.click()
    assert await toggle.get_attribute("aria-expanded") == "true"
    max_pinned = card.get_by_label("maxPinned")
    assert await max_pinned.input_value() == "3"
    assert await card.get_by_label("webhookToken").get_attribute("type") == "password"  # writeOnly: a secret

    await max_pinned.fill("11")  # the schema's maximum is 10: the server refuses it
    await card.get_by_role("button", name="保存设置").click()
    error = card.locator(".field-error:not([hidden])")
    await error.wait_for()
    assert "不能大于 10" in await error.inner_text()
    assert await max_pinned.get_attribute("aria-invalid") == "true"
    assert await page.evaluate("document.activeElement.getAttribute('aria-label') || document.activeElement.id") \
        == await max_pinned.get_attribute("id")  # focus moved to the faulty field
    described = await max_pinned.get_attribute("aria-describedby")
    assert await error.get_attribute("id") in described.split()
    await shot(page, "modules-settings-invalid")
    modules = {m["name"]: m for m in (await gql.ok(MODULES, token=desk["admin"]))["modules"]}
    assert modules["test_notices"]["settings"]["maxPinned"] == 3

    await max_pinned.fill("5")
    await card.get_by_role("button", name="保存设置").click()
    await card.locator(".save-status.ok").filter(has_text="已保存").wait_for()
    assert await card.locator(".field-error:not([hidden])").count() == 0
    assert await max_pinned.get_attribute("aria-invalid") is None
    await shot(page, "modules-settings-saved")
    modules = {m["name"]: m for m in (await gql.ok(MODULES, token=desk["admin"]))["modules"]}
    assert modules["test_notices"]["settings"]["maxPinned"] == 5
    assert not page.js_errors, page.js_errors


async def test_accept_and_assign_a_work_order(console, desk, gql, world, platform):
    order = desk["orders"][0]
    grid = await platform.grids.get(order["gridId"])
    worker = await platform.users.get(grid["workerIds"][0])

    page = await console.login()
    await goto(page, "#/work-orders?state=SUBMITTED")
    rows = page.locator("main tbody tr")
    assert await rows.count() == 2
    await shot(page, "work-orders")
    await page.locator(f'a[href="#/work-orders/{order["id"]}"]').click()
    await page.locator("main h1").filter(has_text="待受理").wait_for()  # the detail has rendered
    await shot(page, "work-order-detail")

    await page.get_by_role("button", name="受理", exact=True).click()
    dialog = page.get_by_role("dialog")
    await dialog.get_by_label("受理意见（可选）").fill("材料齐全，予以受理")
    await dialog.get_by_role("button", name="受理").click()
    await page.locator("main h1").filter(has_text="已受理").wait_for()
    assert await page.locator(".timeline").get_by_text("材料齐全，予以受理").count() == 1

    await page.get_by_role("button", name="派单", exact=True).click()
    picker = dialog.get_by_label("网格员")
    assert await picker.input_value() == worker["_id"]  # the order's own grid worker comes first
    await picker.select_option(worker["_id"])
    await dialog.get_by_label("派单说明（可选）").fill("请今天上门")
    await shot(page, "work-order-assign-dialog")
    await dialog.get_by_role("button", name="派单").click()
    await page.locator("main h1").filter(has_text="已派单").wait_for()
    info = page.locator("main .dl").first
    assert worker["displayName"] in await info.inner_text()
    timeline = await page.locator(".timeline").inner_text()
    assert "派单" in timeline and "受理" in timeline and "提交" in timeline
    await shot(page, "work-order-assigned")

    data = (await gql.ok(ORDER, {"id": order["id"]}, token=desk["admin"]))["workOrder"]
    assert data["state"] == "ASSIGNED" and data["assignee"]["id"] == worker["_id"]
    assert [e["action"] for e in data["timeline"]] == ["submit", "accept", "assign"]

    # the other order is rejected with a reason (required)
    other = desk["orders"][1]
    await goto(page, f"#/work-orders/{other['id']}")
    await page.get_by_role("button", name="驳回").click()
    await dialog.get_by_label("驳回理由（居民可见）").fill("不符合申请条件")
    await dialog.get_by_role("button", name="驳回").click()
    await page.locator("main h1").filter(has_text="已驳回").wait_for()
    assert "不符合申请条件" in await page.locator("main .dl").first.inner_text()

    # the list filters by state and overdue
    await goto(page, "#/work-orders?state=ASSIGNED")
    assert await page.locator("main tbody tr").count() == 1
    await goto(page, "#/work-orders?overdue=1")
    assert "没有符合条件的工单" in await page.locator("main tbody").inner_text()
    assert not page.js_errors, page.js_errors


async def test_residents_grids_audit_trail_and_session_refresh(console, desk, gql, world, platform):
    resident = desk["residents"][0]
    page = await console.login()
    await goto(page, "#/grids")
    grids = world["grids"][desk["community"]]
    assert await page.locator("main tbody tr").count() == len(grids)
    first_row = page.locator("main tbody tr").first
    counted = await platform.residents.coll.count_documents({"gridId": grids[0]["_id"]})
    assert await first_row.locator("td.num").inner_text() == str(counted)
    await shot(page, "grids")
    await first_row.get_by_role("link", name=re.compile("的居民$")).click()
    await wait_until(page, "() => location.hash.startsWith('#/residents')")  # navigated, not the grids page
    await settle(page)
    assert await page.locator("select[name=grid]").input_value() == grids[0]["_id"]

    # search by the start of a name; numbers are masked
    await goto(page, "#/residents")
    await page.get_by_label("姓名").fill(resident["name"][:2])
    await page.get_by_role("button", name="搜索").click()
    await wait_until(page, "n => location.hash.includes('name=')", resident["name"][:2])
    await settle(page)
    link = page.locator(f'a[href="#/residents/{resident["_id"]}"]')
    await link.click()
    await settle(page)
    phone = page.locator("dd").filter(has=page.get_by_role("button", name="查看完整")).first
    masked = await phone.locator(".mono").inner_text()
    assert "****" in masked
    await shot(page, "resident-detail")
    await phone.get_by_role("button", name="查看完整").click()
    await page.get_by_role("dialog").get_by_role("button", name="查看").click()
    await wait_until(page, "m => !document.querySelector('dd .mono').textContent.includes('****')", masked)

    # the reveal and the module switch of the fixture are in the audit trail
    await goto(page, "#/audit")
    await page.locator("main tbody tr").first.wait_for()
    text = await page.locator("main tbody").inner_text()
    assert "查看敏感信息" in text and "模块开关" in text
    await page.get_by_label("操作", exact=True).select_option("reveal")
    await page.get_by_role("button", name="筛选").click()
    await wait_until(page, "() => location.hash.includes('action=reveal')")
    await settle(page)
    assert await page.locator("main tbody tr").count() == 1
    assert resident["_id"] in await page.locator("main tbody").inner_text()
    await shot(page, "audit")
    assert not page.js_errors, page.js_errors

    # an expired access token is refreshed; a revoked session leads back to the login page
    old = await page.evaluate("JSON.parse(sessionStorage.getItem('cp.admin.session'))")
    # pretend the access token expired and was garbled: the console refreshes, then retries
    await page.evaluate("""() => {
      const s = JSON.parse(sessionStorage.getItem('cp.admin.session'));
      s.expiresAt = Date.now() - 1000; s.accessToken = 'expired';
      sessionStorage.setItem('cp.admin.session', JSON.stringify(s));
    }""")
    await goto(page, "#/grids")
    new = await page.evaluate("JSON.parse(sessionStorage.getItem('cp.admin.session'))")
    assert new["refreshToken"] != old["refreshToken"] and new["accessToken"] != "expired"
    # a revoked session sends the user back to the login page
    await page.evaluate("""() => {
      const s = JSON.parse(sessionStorage.getItem('cp.admin.session'));
      s.accessToken = 'garbled'; s.refreshToken = 'revoked';
      sessionStorage.setItem('cp.admin.session', JSON.stringify(s));
    }""")
    await page.evaluate("location.hash = '#/residents'")
    await page.get_by_label("用户名").wait_for()
    assert page.url.endswith("#/login")
    await page.get_by_label("用户名").fill("admin001")
    await page.get_by_label("密码").fill(PASSWORD)
    await page.get_by_role("button", name="登录").click()
    await wait_until(page, "() => location.hash === '#/residents'")  # back where the user was
    await settle(page)


async def test_region_admin_sets_subtree_defaults_and_sees_overrides(console, desk, gql, world):
    page = await console.login("nanjing")
    scope = page.get_by_label("管理范围")
    assert "全辖区" in await scope.locator("option:checked").inner_text()
    await goto(page, "#/modules")
    card = page.locator('article[data-module="test_notices"]')
    # community 1 decided for itself (the fixture switched the module on there)
    assert world["communities"][0]["name"] in await card.locator(".overrides").inner_text()
    wishes = page.get_by_role("switch", name="启用「测试心愿」")
    assert await wishes.get_attribute("aria-checked") == "false"
    await wishes.click()
    await wait_until(page, """() => document.querySelector('[data-module="test_wishes"] [role=switch]')
                   ?.getAttribute('aria-checked') === 'true'""")
    await shot(page, "modules-region")
    # the default reaches both communities
    region = await gql.login("nanjing")
    for c in world["communities"]:
        mods = (await gql.ok("query($c: ID) { modules(communityId: $c) { name enabled decidedAt } }",
                             {"c": c["_id"]}, token=region))["modules"]
        wish = next(m for m in mods if m["name"] == "test_wishes")
        assert wish["enabled"] and wish["decidedAt"] == world["communities"][0]["path"][1]

    # picking a community narrows every page to it
    await scope.select_option(f"community:{desk['community']}")
    name = world["communities"][0]["name"]
    await wait_until(page, "n => document.querySelector('main .page-head')?.textContent.includes(n)", name)
    await settle(page)
    assert await page.get_by_role("switch", name="启用「测试公告栏」").get_attribute("aria-checked") == "true"
    await goto(page, "#/work-orders")
    assert await page.locator("main tbody tr").count() == 2
    assert not page.js_errors, page.js_errors
