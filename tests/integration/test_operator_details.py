"""Operator details: every setting documented, clear CLI and upload errors, CORS, no batching,
file URLs without a doubled segment."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from community_plus.cli import main
from community_plus.settings import Settings

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_documented_in_the_readme():
    names = {f.alias for f in Settings.model_fields.values() if f.alias}
    documented = set(re.findall(r"`((?:CP_|MONGODB_)[A-Z0-9_]+)`", README))
    assert names - documented == set(), "add these to README's Configuration table"
    assert "CP_MAX_BATCH" not in names


def test_seed_with_a_negative_count_is_a_usage_error():
    result = CliRunner().invoke(main, ["seed", "--communities", "-5"])
    assert result.exit_code == 2
    assert "Invalid value for '--communities'" in result.output and "Traceback" not in result.output


async def test_upload_without_purpose_says_so(client, gql, world):
    token = await gql.login("admin001")
    import aiohttp

    form = aiohttp.FormData()
    form.add_field("file", b"%PDF-1.4 hello", filename="a.pdf", content_type="application/pdf")
    resp = await client.post("/upload", data=form, headers={"Authorization": f"Bearer {token}"})
    body = await resp.json()
    assert resp.status == 400, body
    text = str(body)
    assert "缺少用途" in text and "None" not in text


async def test_file_urls_have_no_doubled_segment(client, gql, world):
    token = await gql.login("admin001")
    import aiohttp

    form = aiohttp.FormData()
    form.add_field("purpose", "document")
    form.add_field("file", b"%PDF-1.4 hello", filename="a.pdf", content_type="application/pdf")
    resp = await client.post("/upload", data=form, headers={"Authorization": f"Bearer {token}"})
    body = await resp.json()
    assert resp.status == 200, body
    url = next(v for v in _strings(body) if "sig=" in v)
    assert "/files/files/" not in url and "/media/files/" in url
    path = url.split("://", 1)[-1].split("/", 1)[1]
    assert (await client.get("/" + path)).status == 200


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


async def test_cors_off_by_default(client):
    resp = await client.options("/graphql", headers={"Origin": "https://h5.example.org",
                                                     "Access-Control-Request-Method": "POST"})
    assert "Access-Control-Allow-Origin" not in resp.headers
    resp = await client.post("/graphql", json={"query": "{ __typename }"}, headers={"Origin": "https://h5.example.org"})
    assert "Access-Control-Allow-Origin" not in resp.headers


async def test_cors_allows_listed_origins(settings, aiohttp_client):
    from community_plus.app import create_app

    app = create_app(settings.model_copy(update={"cors_origins": "https://h5.example.org, https://m.example.org/"}))
    client = await aiohttp_client(app)
    pre = await client.options("/graphql", headers={
        "Origin": "https://m.example.org", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type, x-community-id, x-evil"})
    assert pre.status == 204
    assert pre.headers["Access-Control-Allow-Origin"] == "https://m.example.org"
    assert set(pre.headers["Access-Control-Allow-Headers"].split(", ")) == {"authorization", "content-type",
                                                                            "x-community-id"}
    assert "Access-Control-Allow-Credentials" not in pre.headers and "Origin" in pre.headers["Vary"]
    denied = await client.options("/graphql", headers={"Origin": "https://evil.example",
                                                       "Access-Control-Request-Method": "POST"})
    assert denied.status == 403 and "Access-Control-Allow-Origin" not in denied.headers
    resp = await client.post("/graphql", json={"query": "{ __typename }"}, headers={"Origin": "https://h5.example.org"})
    assert resp.status == 200 and resp.headers["Access-Control-Allow-Origin"] == "https://h5.example.org"
    assert "Retry-After" in resp.headers["Access-Control-Expose-Headers"]
    other = await client.post("/graphql", json={"query": "{ __typename }"}, headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
    # batches stay refused, one request error for the whole body
    batch = await client.post("/graphql", json=[{"query": "{ __typename }"}], headers={"Origin": "https://h5.example.org"})
    assert batch.status == 400 and (await batch.json())["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
