"""Resident import (CSV/XLSX): row-by-row checks, all-or-nothing, valid rows only, dry run,
duplicates through the blind index, sealed PII, audit, scope, idempotency and the CLI."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import subprocess
import sys

import aiohttp
from openpyxl import Workbook, load_workbook

from community_plus.platform.validation import id_check_digit, mask_phone

HEADERS = ["姓名*", "身份证号", "手机号", "性别", "出生日期", "网格", "楼栋", "单元", "房号", "详细地址", "本地户籍",
           "标签", "与户主关系"]
IMPORT = """mutation($f: Upload!, $c: ID, $m: ResidentImportMode, $d: Boolean) {
  importResidents(file: $f, communityId: $c, mode: $m, dryRun: $d) { id status communityId } }"""
JOB = """query($id: ID!) { residentImportJob(id: $id) { id status mode dryRun totalRows validRows importedRows
  errorCount progress format fileName errors(first: 100) { totalCount edges { node { row column reason } } } } }"""
JOBS = "{ residentImportJobs(first: 20) { totalCount edges { node { id } } } }"
DONE = {"VALIDATED", "REJECTED", "SUCCEEDED", "FAILED", "INTERRUPTED"}


def id_number(n: int, born: str = "19500307") -> str:
    first = f"110105{born}{n % 1000:03d}"
    return first + id_check_digit(first)


def good_row(n: int, name: str | None = None, **over: str) -> dict[str, str]:
    row = {"姓名*": name or f"导入居民{n}", "身份证号": id_number(n), "手机号": f"139{n:08d}", "本地户籍": "是",
           "标签": "老年人、独居", "楼栋": "3栋", "房号": str(500 + n)}
    row.update(over)
    return row


def as_csv(rows: list[dict[str, str]], headers: list[str] = HEADERS) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, headers)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def as_xlsx(rows: list[dict[str, str]]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(HEADERS)
    for row in rows:
        sheet.append([row.get(h) for h in HEADERS])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def upload(gql, token: str, content: bytes, filename: str, headers: dict | None = None, **variables):
    form = aiohttp.FormData()
    form.add_field("operations", json.dumps({"query": IMPORT, "variables": {"f": None, **variables}}))
    form.add_field("map", json.dumps({"0": ["variables.f"]}))
    form.add_field("0", content, filename=filename, content_type="application/octet-stream")
    resp = await gql.http.post("/graphql", data=form, headers={"Authorization": f"Bearer {token}",
                                                                 "Apollo-Require-Preflight": "true", **(headers or {})})
    assert resp.status == 200, await resp.text()
    return await resp.json()


async def run_import(gql, token: str, content: bytes, filename: str, **variables) -> dict:
    body = await upload(gql, token, content, filename, **variables)
    assert not body.get("errors"), body
    job_id = body["data"]["importResidents"]["id"]
    for _ in range(600):  # wait for the background job to end (it advances its status as it goes)
        job = (await gql.ok(JOB, {"id": job_id}, token=token))["residentImportJob"]
        if job["status"] in DONE:
            return job
        await asyncio.sleep(0.05)
    raise AssertionError(f"the import did not finish: {job}")


def problems(job: dict) -> list[tuple[int, str]]:
    return [(e["node"]["row"], e["node"]["column"]) for e in job["errors"]["edges"]]


async def test_three_bad_rows_are_reported_and_nothing_is_imported(gql, world, platform):
    c1 = world["communities"][0]["_id"]
    admin = await gql.login("admin001")
    before = await platform.residents.coll.count_documents({})
    rows = [good_row(1), good_row(2, 手机号="12345"),  # row 3: phone
            good_row(3), good_row(4, 身份证号=id_number(4)[:17] + ("0" if id_number(4)[-1] != "0" else "1")),  # row 5
            good_row(5), good_row(6, 身份证号=id_number(1)),  # row 7: a duplicate of row 2 in the file
            good_row(7)]
    job = await run_import(gql, admin, as_csv(rows), "居民.csv")
    assert job["status"] == "REJECTED" and job["totalRows"] == 7 and job["validRows"] == 4
    assert job["importedRows"] == 0 and job["errorCount"] == 3 and job["format"] == "csv"
    assert problems(job) == [(3, "手机号"), (5, "身份证号"), (7, "身份证号")]
    assert "第2行" in job["errors"]["edges"][2]["node"]["reason"]
    assert await platform.residents.coll.count_documents({}) == before
    assert await platform.residents.coll.count_documents({"importJobId": job["id"]}) == 0

    # The same file, "import the valid rows": the 4 good ones, sealed like createResident.
    job = await run_import(gql, admin, as_csv(rows), "居民.csv", m="VALID_ROWS")
    assert job["status"] == "SUCCEEDED" and job["importedRows"] == 4 and job["errorCount"] == 3
    docs = await platform.residents.coll.find({"importJobId": job["id"]}).sort("name", 1).to_list()
    assert [d["name"] for d in docs] == ["导入居民1", "导入居民3", "导入居民5", "导入居民7"]
    d = docs[0]
    assert "phone" not in d and "idNumber" not in d and d["phoneMasked"] == mask_phone("13900000001")
    assert platform.residents.reveal(d, "idNumber") == id_number(1) and d["communityId"] == c1
    assert d["tags"] == ["elderly", "living_alone"] and d["address"] == {"building": "3栋", "room": "501"}
    assert d["gender"] == "male" and d["birthDate"].year == 1950  # the 17th digit is odd
    assert await platform.audit.coll.count_documents({"action": "create", "details.importJobId": job["id"]}) == 4
    assert await platform.audit.coll.count_documents({"action": "import", "entityId": job["id"]}) == 1

    # Imported again: every ID number is now registered (found through the blind index).
    job = await run_import(gql, admin, as_csv([good_row(1), good_row(3)]), "again.csv")
    assert job["status"] == "REJECTED" and problems(job) == [(2, "身份证号"), (3, "身份证号")]
    assert "已登记" in job["errors"]["edges"][0]["node"]["reason"]


async def test_dry_run_then_xlsx_import(gql, world, platform):
    admin = await gql.login("admin001")
    grid = world["grids"][world["communities"][0]["_id"]][0]
    rows = [good_row(n, 网格=grid["name"]) for n in range(20, 25)]
    rows.append({"姓名*": "无证居民", "出生日期": "1988-02-03", "性别": "男", "本地户籍": "否"})
    content = as_xlsx(rows)
    job = await run_import(gql, admin, content, "residents.xlsx", d=True)
    assert job["status"] == "VALIDATED" and job["dryRun"] and job["validRows"] == 6 and job["errorCount"] == 0
    assert job["format"] == "xlsx" and job["progress"] == 1.0
    assert await platform.residents.coll.count_documents({"name": {"$in": ["导入居民20", "无证居民"]}}) == 0
    job = await run_import(gql, admin, content, "residents.xlsx")
    assert job["status"] == "SUCCEEDED" and job["importedRows"] == 6
    found = await gql.ok("""query($g: ID!) { residents(filter: {gridId: $g, namePrefix: "导入居民2"}) {
      totalCount edges { node { name phone idNumber tags grid { id } } } } }""", {"g": grid["_id"]}, token=admin)
    assert found["residents"]["totalCount"] == 5
    node = found["residents"]["edges"][0]["node"]
    assert "*" in node["phone"] and "*" in node["idNumber"] and node["tags"] == ["ELDERLY", "LIVING_ALONE"]
    plain = await platform.residents.coll.find_one({"name": "无证居民"})
    assert plain["registered"] is False and plain["gender"] == "male" and plain.get("idNumberHash") is None


async def test_header_problems_and_wrong_files(gql, world):
    admin = await gql.login("admin001")
    job = await run_import(gql, admin, as_csv([{"名字": "x"}], headers=["名字", "手机号"]), "bad.csv")
    assert job["status"] == "REJECTED" and problems(job) == [(1, "名字"), (1, "姓名")]
    body = await upload(gql, admin, b"%PDF-1.4 not a sheet", "x.pdf")
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert body["errors"][0]["extensions"]["fields"][0]["path"] == "file"


async def test_import_scope_roles_and_idempotency(gql, world, platform):
    c1, c2 = (c["_id"] for c in world["communities"])
    admin1, admin2 = await gql.login("admin001"), await gql.login("admin002")
    job = await run_import(gql, admin1, as_csv([good_row(40)]), "a.csv")
    # Another community's admin: not found, not listed, cannot import into community 1.
    await gql.error("NOT_FOUND", JOB, {"id": job["id"]}, token=admin2)
    assert (await gql.ok(JOBS, token=admin2))["residentImportJobs"]["totalCount"] == 0
    assert [e["node"]["id"] for e in (await gql.ok(JOBS, token=admin1))["residentImportJobs"]["edges"]] == [job["id"]]
    body = await upload(gql, admin2, as_csv([good_row(41)]), "a.csv", c=c1)
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert body["errors"][0]["extensions"]["fields"][0]["path"] == "communityId"
    # Grid workers and residents may not import or read jobs.
    worker = await gql.login("gw0011")
    body = await upload(gql, worker, as_csv([good_row(42)]), "a.csv")
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    await gql.error("FORBIDDEN", JOB, {"id": job["id"]}, token=worker)
    # A region admin imports into a community they name.
    region = await gql.login("nanjing")
    job2 = await run_import(gql, region, as_csv([good_row(43)]), "r.csv", c=c2)
    assert job2["status"] == "SUCCEEDED" and job2["importedRows"] == 1
    await gql.error("NOT_FOUND", JOB, {"id": job2["id"]}, token=admin1)
    assert (await gql.ok(JOB, {"id": job2["id"]}, token=admin2))["residentImportJob"]["id"] == job2["id"]
    # The same request under one Idempotency-Key starts one job.
    first = await upload(gql, admin1, as_csv([good_row(44)]), "k.csv", headers={"Idempotency-Key": "imp-1"})
    again = await upload(gql, admin1, as_csv([good_row(44)]), "k.csv", headers={"Idempotency-Key": "imp-1"})
    assert again["data"]["importResidents"]["id"] == first["data"]["importResidents"]["id"], again
    other = await upload(gql, admin1, as_csv([good_row(45)]), "k.csv", headers={"Idempotency-Key": "imp-1"})
    assert other["errors"][0]["extensions"]["code"] == "CONFLICT"  # another file under the same key


async def test_template_downloads(gql):
    resp = await gql.http.get("/resident-import/template.xlsx")
    assert resp.status == 200 and "attachment" in resp.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(await resp.read()), read_only=True).worksheets[0]
    header, example = list(sheet.iter_rows(values_only=True))[:2]
    assert list(header) == HEADERS and example[1] == "110101195003071227"
    resp = await gql.http.get("/resident-import/template.csv")
    text = (await resp.read()).decode("utf-8-sig")
    assert text.splitlines()[0].split(",") == HEADERS
    data = await gql.ok("{ residentImportTemplate { xlsxUrl columns { header required } } }")
    assert data["residentImportTemplate"]["columns"][0] == {"header": "姓名", "required": True}


async def test_cli_import_with_dry_run(gql, world, platform, settings, tmp_path):
    c1 = world["communities"][0]["_id"]
    admin = await gql.login("admin001")
    await gql.ok("mutation($c: ID!) { setModuleEnabled(communityId: $c, module: \"test_notices\", enabled: true) { name } }",
                 {"c": c1}, token=admin)
    path = tmp_path / "cli.csv"
    path.write_bytes(as_csv([good_row(60), good_row(61), good_row(62, 手机号="1")]))
    env = {**os.environ, "MONGODB_URI": settings.mongodb_uri, "CP_DATA_DIR": str(tmp_path / "data")}
    cli = [sys.executable, "-m", "community_plus.cli", "residents", "import", str(path), "--community", c1]
    dry = await asyncio.to_thread(subprocess.run, [*cli, "--dry-run"], env=env, capture_output=True, text=True,
                                  timeout=120)
    assert dry.returncode == 0, dry.stderr
    assert "第4行 手机号" in dry.stderr and "VALIDATED" in dry.stderr
    rejected = await asyncio.to_thread(subprocess.run, cli, env=env, capture_output=True, text=True, timeout=120)
    assert rejected.returncode == 1 and "REJECTED" in rejected.stderr
    assert await platform.residents.coll.count_documents({"name": {"$in": ["导入居民60", "导入居民61"]}}) == 0
    done = await asyncio.to_thread(subprocess.run, [*cli, "--valid-rows"], env=env, capture_output=True, text=True,
                                   timeout=120)
    assert done.returncode == 0 and "SUCCEEDED" in done.stderr and "imported 2" in done.stderr, done.stderr
    assert await platform.residents.coll.count_documents({"name": {"$in": ["导入居民60", "导入居民61"]}}) == 2
    welcomed = await platform.db["test_notices__notices"].distinct("title", {"communityId": c1})
    assert sorted(welcomed) == ["欢迎新居民导入居民60", "欢迎新居民导入居民61"]  # the module's hook ran in the CLI


async def test_imported_residents_reach_module_hooks_as_resident_created(gql, world, platform):
    """Each imported resident emits `resident_created` like `createResident`: the test_notices
    module's `on_event` welcomes every one of them; a dry run and a rejected file emit nothing."""
    c1 = world["communities"][0]["_id"]
    admin = await gql.login("admin001")
    await gql.ok("mutation($c: ID!) { setModuleEnabled(communityId: $c, module: \"test_notices\", enabled: true) { name } }",
                 {"c": c1}, token=admin)
    welcomes = "{ notices(first: 100) { edges { node { title } } } }"

    async def welcomed() -> list[str]:
        data = await gql.ok(welcomes, token=admin)
        return sorted(e["node"]["title"] for e in data["notices"]["edges"] if e["node"]["title"].startswith("欢迎"))

    rows = [good_row(n) for n in (41, 42, 43)]
    assert (await run_import(gql, admin, as_csv(rows), "r.csv", d=True))["status"] == "VALIDATED"
    bad = await run_import(gql, admin, as_csv([*rows, good_row(44, 手机号="1")]), "r.csv")
    assert bad["status"] == "REJECTED"
    assert await welcomed() == []
    created = await gql.ok('mutation { createResident(input: {name: "手工登记", birthDate: "1990-01-01"}) { id } }',
                           token=admin)
    assert created["createResident"]["id"]
    job = await run_import(gql, admin, as_csv(rows), "r.csv")
    assert job["status"] == "SUCCEEDED" and job["importedRows"] == 3
    assert await welcomed() == sorted(["欢迎新居民手工登记", *(f"欢迎新居民导入居民{n}" for n in (41, 42, 43))])
