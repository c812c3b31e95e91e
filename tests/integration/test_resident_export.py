"""Resident export: CSV and XLSX of the caller's scope, masked unless permitted, audited."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook


async def _get(client, token: str, path: str, **headers):
    return await client.get(path, headers={"Authorization": f"Bearer {token}", **headers})


async def test_csv_is_scoped_masked_and_audited(client, gql, world, platform):
    c1 = world["communities"][0]["_id"]
    token = await gql.login("admin001")
    resp = await _get(client, token, "/export/residents.csv")
    assert resp.status == 200 and resp.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in resp.headers["Content-Disposition"]
    text = (await resp.read()).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["姓名", "性别", "出生日期"]
    expected = await platform.residents.coll.count_documents({"communityId": c1})
    assert len(rows) - 1 == expected > 0
    phones = [r[8] for r in rows[1:] if r[8]]
    assert phones and all("****" in p for p in phones)
    entry = await platform.audit.coll.find_one({"action": "export_residents"})
    assert entry["details"] == {"format": "csv", "rows": expected, "unmasked": False} and entry["communityId"] == c1


async def test_unmasked_only_with_the_pii_permission(client, gql, world, platform):
    token = await gql.login("admin001")
    resp = await _get(client, token, "/export/residents.xlsx?unmasked=1")
    assert resp.status == 200
    book = load_workbook(io.BytesIO(await resp.read()), read_only=True)
    rows = list(book.active.iter_rows(values_only=True))
    phones = [r[8] for r in rows[1:] if r[8]]
    assert phones and all("****" not in p and len(p) == 11 for p in phones)
    entry = await platform.audit.coll.find_one({"action": "export_residents"})
    assert entry["fields"] == ["phone", "idNumber"] and entry["details"]["unmasked"] is True
    # a region admin exports masked values only, of the communities below it
    nanjing = await gql.login("nanjing")
    denied = await _get(client, nanjing, "/export/residents.csv?unmasked=1")
    assert denied.status == 403
    masked = await _get(client, nanjing, "/export/residents.csv")
    rows = list(csv.reader(io.StringIO((await masked.read()).decode("utf-8-sig"))))
    assert len(rows) - 1 == await platform.residents.coll.count_documents({}) and {r[3] for r in rows[1:]} == {
        c["name"] for c in world["communities"]}
    one = await _get(client, nanjing, f"/export/residents.csv?communityId={world['communities'][1]['_id']}")
    assert {r[3] for r in list(csv.reader(io.StringIO((await one.read()).decode("utf-8-sig"))))[1:]} == {
        world["communities"][1]["name"]}
    # grid workers and anonymous callers get nothing
    assert (await _get(client, await gql.login("gw0011"), "/export/residents.csv")).status == 403
    assert (await client.get("/export/residents.csv")).status == 401
    other = await _get(client, token, f"/export/residents.csv?communityId={world['communities'][1]['_id']}")
    assert other.status == 403
