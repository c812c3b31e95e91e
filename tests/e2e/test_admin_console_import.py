"""The console's resident import page in headless Chromium: a file with 3 bad rows lists
exactly those rows and imports nothing; a dry run then "确认导入" imports a good file."""

from __future__ import annotations

from test_admin_console import console, goto, shot, wait_until  # noqa: F401  (fixtures and helpers)
from test_resident_import import as_csv, good_row


async def test_import_page_reports_bad_rows_then_imports(console, gql, world, platform):  # noqa: F811
    page = await console.login("admin001")
    await goto(page, "#/residents")
    await page.get_by_role("link", name="批量导入").click()
    await page.get_by_role("heading", name="批量导入居民").wait_for()
    assert await page.get_by_role("link", name="下载 Excel 模板").get_attribute("href") == \
        "../resident-import/template.xlsx"

    bad = as_csv([good_row(80), good_row(81, 手机号="1"), good_row(82), good_row(83, 性别="未知"),
                  good_row(84, 标签="外星人"), good_row(85)])
    await page.get_by_label("居民表格（CSV 或 XLSX）").set_input_files(
        files=[{"name": "居民.csv", "mimeType": "text/csv", "buffer": bad}])
    await page.get_by_label("仅检查，不导入").uncheck()
    await page.get_by_role("button", name="上传").click()
    await page.get_by_role("status").filter(has_text="有错误，未导入任何数据").wait_for(timeout=30_000)
    cells = await page.locator("table tbody tr").evaluate_all(
        "rows => rows.map(r => [...r.cells].slice(0, 2).map(c => c.textContent))")
    assert cells == [["第 3 行", "手机号"], ["第 5 行", "性别"], ["第 6 行", "标签"]]
    await shot(page, "resident-import-rejected")
    assert await platform.residents.coll.count_documents({"name": {"$regex": "^导入居民8"}}) == 0

    good = as_csv([good_row(90), good_row(91)])
    await page.get_by_label("居民表格（CSV 或 XLSX）").set_input_files(
        files=[{"name": "good.csv", "mimeType": "text/csv", "buffer": good}])
    await page.get_by_label("仅检查，不导入").check()
    await page.get_by_role("button", name="上传").click()
    await page.get_by_role("button", name="确认导入").click(timeout=30_000)
    await page.get_by_role("status").filter(has_text="导入完成").wait_for(timeout=30_000)
    await wait_until(page, "() => document.querySelector('.result-count')?.textContent.includes('已导入 2 行')")
    assert await platform.residents.coll.count_documents({"name": {"$in": ["导入居民90", "导入居民91"]}}) == 2
    assert not page.js_errors, page.js_errors
