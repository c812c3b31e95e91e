"""Media: the same suite runs against the local backend and a real S3 endpoint (moto's server)."""

from __future__ import annotations

import asyncio
import io
import json
import os
import sys
import tracemalloc
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from media_fixtures import MiB, fetch, has_gps, jpeg_with_gps, pdf_bytes, s3_endpoint, s3_overrides, upload_form
from PIL import Image

from community_plus.platform.access import Principal, Scope
from community_plus.app import create_app
from community_plus.keys import PLATFORM
from community_plus.platform.context import RequestContext
from community_plus.platform.errors import BadUserInput
from community_plus.domains.media.orphans import run_once
from community_plus.domains.media.service import attach_files, register_entity_visibility, release_files
from community_plus.platform.security.tokens import read_access_token
from community_plus.settings import load_settings
from community_plus.platform.testing import free_port

__all__ = ["s3_endpoint"]  # a session fixture used through `request.getfixturevalue`

FILE_FIELDS = "id purpose contentType size name state url thumbnailUrl createdAt"


@pytest.fixture(params=["local", "s3"])
def backend(request) -> str:
    return request.param


@pytest.fixture
def media_settings(backend, request, db_uri, tmp_path):
    """Settings for the backend under test; keyword overrides use the env-var names."""
    s3 = s3_overrides(request.getfixturevalue("s3_endpoint")) if backend == "s3" else {}

    def build(**overrides):
        return load_settings(MONGODB_URI=db_uri, CP_DATA_DIR=str(tmp_path), CP_ENV="dev", CP_LOG_FORMAT="console",
                             **{**s3, **overrides})

    return build


@pytest.fixture
def settings(media_settings):  # overrides conftest's: `client`, `gql`, `world` use this backend
    return media_settings()


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def wx_upload(client, token: str, content, filename: str = "photo.jpg", purpose: str | None = "photo",
                    content_type: str = "image/jpeg", **fields: str):
    resp = await client.post("/upload", data=upload_form(content, filename, purpose, content_type, **fields),
                             headers=auth(token))
    return resp.status, await resp.json()


def context_for(platform, token: str) -> RequestContext:
    principal = Principal.from_claims(read_access_token(token, platform.settings.signing_key))
    return RequestContext(platform=platform, scope=Scope(principal=principal), request_id="test")


def codes(body: dict) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]


async def test_wx_upload_file_then_read_url(client, gql, world, platform, backend):
    token = await gql.login("gw0011")
    content = pdf_bytes(20_000)
    status, body = await wx_upload(client, token, content, "report.pdf", "document", "application/pdf")
    assert status == 200, body
    assert body["contentType"] == "application/pdf" and body["size"] == 20_000 and body["name"] == "report.pdf"
    assert body["thumbnailUrl"] is None
    got_status, got_type, got = await fetch(body["url"])
    assert (got_status, got_type, got) == (200, "application/pdf", content)
    doc = await platform.files.get(body["id"])
    assert doc["communityId"] == world["communities"][0]["_id"] and doc["state"] == "stored"
    assert len(doc["sha256"]) == 64
    data = await gql.ok(f'query($id: ID!) {{ file(id: $id) {{ {FILE_FIELDS} }} }}', {"id": body["id"]}, token)
    assert data["file"]["state"] == "STORED" and data["file"]["url"].startswith("http")
    ready = await (await client.get("/readyz")).json()
    assert ready["checks"]["storage"] is True
    # no bearer token → 401 with a GraphQL-shaped error body
    resp = await client.post("/upload", data=upload_form(content, "report.pdf", "document"))
    assert resp.status == 401 and codes(await resp.json()) == ["UNAUTHENTICATED"]
    # a missing or unknown purpose names the field
    status, body = await wx_upload(client, token, content, "report.pdf", None)
    assert status == 400 and body["errors"][0]["extensions"]["fields"][0]["path"] == "purpose"


async def test_graphql_multipart_upload_and_csrf(client, gql, world, platform):
    token = await gql.login("admin001")
    operations = json.dumps({"query": f"mutation($f: Upload!) {{ uploadFile(file: $f, purpose: \"photo\") "
                                      f"{{ {FILE_FIELDS} }} }}", "variables": {"f": None}})

    def form() -> aiohttp.FormData:
        f = aiohttp.FormData()
        f.add_field("operations", operations)
        f.add_field("map", json.dumps({"0": ["variables.f"]}))
        f.add_field("0", jpeg_with_gps((400, 300)), filename="p.jpg", content_type="image/jpeg")
        return f

    refused = await client.post("/graphql", data=form(), headers=auth(token))
    assert refused.status == 400 and "CSRF" in await refused.text()
    anonymous = await client.post("/graphql", data=form(), headers={"Apollo-Require-Preflight": "true"})
    assert anonymous.status == 401
    assert await platform.files.coll.count_documents({}) == 0
    resp = await client.post("/graphql", data=form(), headers={**auth(token), "Apollo-Require-Preflight": "true"})
    body = await resp.json()
    assert not body.get("errors"), body
    file = body["data"]["uploadFile"]
    assert file["contentType"] == "image/jpeg" and file["state"] == "STORED" and file["thumbnailUrl"]
    status, _, got = await fetch(file["url"])
    assert status == 200 and not has_gps(got)
    # the Upload scalar only accepts a multipart file part
    err = await gql.error("BAD_USER_INPUT", 'mutation { uploadFile(file: "abc", purpose: "photo") { id } }',
                          token=token)
    assert err["extensions"]["fields"][0]["path"] == "file"
    tmp = platform.media_spool.directory
    assert list(tmp.iterdir()) == []  # temp files are gone after each request


REQUEST_UPLOAD = """mutation($p: String!, $t: String!, $s: Int!) {
  requestUpload(purpose: $p, contentType: $t, size: $s) { fileId uploadUrl method expiresAt file { state url } } }"""
CONFIRM = f"mutation($id: ID!) {{ confirmUpload(fileId: $id) {{ {FILE_FIELDS} }} }}"


async def put(url: str, data: bytes) -> int:
    async with aiohttp.ClientSession() as session, session.put(url, data=data) as resp:
        return resp.status


async def test_presigned_upload_flow(client, gql, world, platform):
    token = await gql.login("gw0011")
    content = pdf_bytes(300_000)
    ticket = (await gql.ok(REQUEST_UPLOAD, {"p": "document", "t": "application/pdf", "s": len(content)},
                           token))["requestUpload"]
    assert ticket["method"] == "PUT" and ticket["file"] == {"state": "PENDING", "url": None}
    err = await gql.error("BAD_USER_INPUT", CONFIRM, {"id": ticket["fileId"]}, token)
    assert "nothing uploaded" in err["message"]
    assert await put(ticket["uploadUrl"], content) == 200
    other = await gql.login("admin002")
    await gql.error("NOT_FOUND", CONFIRM, {"id": ticket["fileId"]}, other)
    file = (await gql.ok(CONFIRM, {"id": ticket["fileId"]}, token))["confirmUpload"]
    assert file["state"] == "STORED" and file["size"] == len(content)
    status, ctype, got = await fetch(file["url"])
    assert (status, ctype, got) == (200, "application/pdf", content)
    assert (await gql.ok(CONFIRM, {"id": ticket["fileId"]}, token))["confirmUpload"]["id"] == file["id"]
    # an image uploaded directly is sanitised on confirmation, like any other upload
    photo = jpeg_with_gps()
    ticket = (await gql.ok(REQUEST_UPLOAD, {"p": "photo", "t": "image/jpeg", "s": len(photo)}, token))["requestUpload"]
    assert await put(ticket["uploadUrl"], photo) == 200
    file = (await gql.ok(CONFIRM, {"id": ticket["fileId"]}, token))["confirmUpload"]
    assert not has_gps((await fetch(file["url"]))[2]) and file["thumbnailUrl"]
    # the staging object is gone once confirmed; a PUT to the old URL afterwards is swept once it expires
    doc = await platform.files.get(ticket["fileId"])
    assert await platform.storage.stat(doc["stagingKey"]) is None
    assert await put(ticket["uploadUrl"], b"late overwrite attempt") == 200
    assert await platform.storage.stat(doc["stagingKey"]) is not None
    assert (await fetch(file["url"]))[2] != b"late overwrite attempt"
    report = await run_once(platform, now=datetime.now(UTC) + timedelta(hours=1))
    assert report.staging_removed == 2 and report.files_removed == 0
    assert await platform.storage.stat(doc["stagingKey"]) is None
    assert "stagingKey" not in await platform.files.get(ticket["fileId"])


async def test_type_spoofing_refused(client, gql, world, platform):
    token = await gql.login("gw0011")
    status, body = await wx_upload(client, token, pdf_bytes(), "photo.jpg", "photo", "image/jpeg")
    assert status == 400 and "application/pdf is not accepted for photo" in body["errors"][0]["message"]
    status, body = await wx_upload(client, token, b"just some text, not an image", "photo.jpg")
    assert status == 400 and "unrecognised file content" in body["errors"][0]["message"]
    status, body = await wx_upload(client, token, b"\xff\xd8\xff\xe0" + os.urandom(4000), "broken.jpg")
    assert status == 400 and "cannot be decoded" in body["errors"][0]["message"]
    # presigned: declared a JPEG, uploaded a PDF → refused at confirmation, record and object removed
    content = pdf_bytes(5000)
    ticket = (await gql.ok(REQUEST_UPLOAD, {"p": "photo", "t": "image/jpeg", "s": len(content)},
                           token))["requestUpload"]
    assert await put(ticket["uploadUrl"], content) == 200
    doc = await platform.files.get(ticket["fileId"])
    err = await gql.error("BAD_USER_INPUT", CONFIRM, {"id": ticket["fileId"]}, token)
    assert "application/pdf" in err["message"]
    assert await platform.files.coll.count_documents({}) == 0
    assert await platform.storage.stat(doc["stagingKey"]) is None
    # declaring a type the purpose does not accept fails at once
    err = await gql.error("BAD_USER_INPUT", REQUEST_UPLOAD, {"p": "photo", "t": "application/pdf", "s": 10}, token)
    assert [f["path"] for f in err["extensions"]["fields"]] == ["contentType"]


async def test_oversize_refused(client, gql, world, platform):
    token = await gql.login("gw0011")
    too_big = b"\xff\xd8\xff\xe0" + b"\0" * (20 * MiB)  # photos are limited to 20 MB
    status, body = await wx_upload(client, token, too_big, "huge.jpg")
    assert status == 413 and codes(body) == ["BAD_USER_INPUT"] and "20 MB" in body["errors"][0]["message"]
    err = await gql.error("BAD_USER_INPUT", REQUEST_UPLOAD, {"p": "photo", "t": "image/jpeg", "s": 20 * MiB + 1},
                          token)
    assert [f["path"] for f in err["extensions"]["fields"]] == ["size"]
    # presigned: the bytes uploaded differ from the declared size → refused at confirmation
    content = pdf_bytes(10_000)
    ticket = (await gql.ok(REQUEST_UPLOAD, {"p": "document", "t": "application/pdf", "s": 5_000},
                           token))["requestUpload"]
    status = await put(ticket["uploadUrl"], content)
    if status == 200:  # S3 cannot cap a presigned PUT; the local backend refuses it with 413
        err = await gql.error("BAD_USER_INPUT", CONFIRM, {"id": ticket["fileId"]}, token)
        assert "size mismatch" in err["message"]
    else:
        assert status == 413
    assert await platform.files.coll.count_documents({"state": "stored"}) == 0
    assert list(platform.media_spool.directory.iterdir()) == []


async def test_quota_enforced(aiohttp_client, client, gql, world, media_settings):
    small = await aiohttp_client(create_app(media_settings(CP_STORAGE_QUOTA_MB=1)))
    token = await gql.login("admin001")
    status, first = await wx_upload(small, token, pdf_bytes(600_000), "a.pdf", "document", "application/pdf")
    assert status == 200, first
    status, body = await wx_upload(small, token, pdf_bytes(600_000), "b.pdf", "document", "application/pdf")
    assert status == 400 and codes(body) == ["BAD_USER_INPUT"]
    assert body["errors"][0]["extensions"]["reason"] == "STORAGE_QUOTA_EXCEEDED"
    assert "社区存储空间不足" in body["errors"][0]["message"] and "quota" in body["errors"][0]["message"]
    platform = small.app[PLATFORM]
    assert await platform.files.coll.count_documents({}) == 1  # the refused upload left nothing
    # presigned reservations count too; another community has its own quota
    small_gql = type(gql)(small)
    await small_gql.error("BAD_USER_INPUT", REQUEST_UPLOAD, {"p": "document", "t": "application/pdf", "s": 600_000},
                          token)
    other = await gql.login("admin002")
    await small_gql.ok(REQUEST_UPLOAD, {"p": "document", "t": "application/pdf", "s": 600_000}, other)
    # deleting frees the space
    await small_gql.ok("mutation($id: ID!) { deleteFile(id: $id) }", {"id": first["id"]}, token)
    status, body = await wx_upload(small, token, pdf_bytes(600_000), "b.pdf", "document", "application/pdf")
    assert status == 200, body


async def test_unauthorised_read_refused(client, gql, world, platform, backend):
    owner = await gql.login("gw0011")
    status, body = await wx_upload(client, owner, jpeg_with_gps((200, 150)), "p.jpg")
    assert status == 200
    query = "query($id: ID!) { file(id: $id) { id url } }"
    assert (await gql.ok(query, {"id": body["id"]}, await gql.login("admin001")))["file"]["url"]
    assert (await gql.ok(query, {"id": body["id"]}, await gql.login("admin")))["file"]["url"]
    for stranger in ("admin002", "gw0021"):
        await gql.error("NOT_FOUND", query, {"id": body["id"]}, await gql.login(stranger))
    await gql.error("NOT_FOUND", "mutation($id: ID!) { deleteFile(id: $id) }", {"id": body["id"]},
                    await gql.login("admin002"))
    await gql.error("UNAUTHENTICATED", query, {"id": body["id"]})
    # staff may not upload into a community outside their scope
    status, denied = await wx_upload(client, await gql.login("admin002"), jpeg_with_gps((50, 50)), "p.jpg",
                                     communityId=world["communities"][0]["_id"])
    assert status == 403 and codes(denied) == ["FORBIDDEN"]
    if backend == "local":  # signed URLs cannot be altered or reused for another object
        tampered = body["url"].replace("sig=", "sig=0")
        assert (await fetch(tampered))[0] == 403
        other_id = body["id"][:-1] + ("1" if body["id"].endswith("0") else "0")  # a different object
        assert (await fetch(body["url"].replace(body["id"], other_id)))[0] == 403


async def test_attach_release_delete_and_entity_visibility(client, gql, world, platform):
    token = await gql.login("gw0011")
    _, a = await wx_upload(client, token, jpeg_with_gps((100, 80)), "a.jpg")
    _, b = await wx_upload(client, token, pdf_bytes(), "b.pdf", "document", "application/pdf")
    ctx = context_for(platform, token)
    docs = await attach_files(ctx, [a["id"], b["id"]], "visit", "v1")
    assert {d["state"] for d in docs} == {"attached"}
    assert (await attach_files(ctx, [a["id"]], "visit", "v1"))[0]["attachedTo"] == {"entity": "visit", "id": "v1"}
    with pytest.raises(BadUserInput) as exc:
        await attach_files(ctx, [a["id"]], "visit", "v2")
    assert exc.value.extensions["code"] == "BAD_USER_INPUT"
    assert exc.value.extensions["fields"][0]["path"] == "fileIds.0"
    stranger = await gql.login("admin002")
    with pytest.raises(BadUserInput) as exc:  # others' files cannot be attached (and do not "exist" for them)
        await attach_files(context_for(platform, stranger), [b["id"]], "visit", "v9")
    assert exc.value.extensions["code"] == "BAD_USER_INPUT"
    # attached files cannot be deleted; the subsystem owning "visit" decides who else may read them
    await gql.error("CONFLICT", "mutation($id: ID!) { deleteFile(id: $id) }", {"id": a["id"]}, token)
    query = "query($id: ID!) { file(id: $id) { state url } }"
    await gql.error("NOT_FOUND", query, {"id": a["id"]}, stranger)

    async def visible(ctx: RequestContext, entity_id: str) -> bool:
        return entity_id == "v1" and ctx.principal.user_id is not None

    register_entity_visibility(platform, "visit", visible)
    assert (await gql.ok(query, {"id": a["id"]}, stranger))["file"]["state"] == "ATTACHED"
    assert await release_files(ctx, "visit", "v1", [a["id"]]) == 1
    await gql.error("NOT_FOUND", query, {"id": a["id"]}, stranger)
    assert await gql.ok("mutation($id: ID!) { deleteFile(id: $id) }", {"id": a["id"]}, token)
    assert await platform.files.get(a["id"]) is None
    await gql.error("NOT_FOUND", query, {"id": a["id"]}, token)
    assert await release_files(ctx, "visit", "v1") == 1


async def test_orphan_cleanup(client, gql, world, platform, settings):
    token = await gql.login("gw0011")
    storage, files = platform.storage, platform.files
    _, orphan = await wx_upload(client, token, jpeg_with_gps((300, 200)), "o.jpg")
    _, kept = await wx_upload(client, token, pdf_bytes(), "k.pdf", "document", "application/pdf")
    pending = (await gql.ok(REQUEST_UPLOAD, {"p": "document", "t": "application/pdf", "s": 100}, token))
    ctx = context_for(platform, token)
    await attach_files(ctx, [kept["id"]], "visit", "v1")
    orphan_doc = await files.get(orphan["id"])
    assert await storage.stat(orphan_doc["key"]) and await storage.stat(orphan_doc["thumbKey"])
    report = await run_once(platform)
    assert report.files_removed == 0  # nothing is old enough yet
    later = datetime.now(UTC) + timedelta(hours=settings.orphan_ttl_hours + 1)
    report = await run_once(platform, now=later)
    assert report.files_removed == 2
    assert await files.get(orphan["id"]) is None
    assert await files.get(pending["requestUpload"]["fileId"]) is None
    assert await storage.stat(orphan_doc["key"]) is None and await storage.stat(orphan_doc["thumbKey"]) is None
    kept_doc = await files.get(kept["id"])
    assert kept_doc["state"] == "attached" and await storage.stat(kept_doc["key"])
    # releasing (e.g. deleting the visit record) starts the clock again
    await release_files(ctx, "visit", "v1")
    half = datetime.now(UTC) + timedelta(hours=settings.orphan_ttl_hours / 2)
    assert (await run_once(platform, now=half)).files_removed == 0
    report = await run_once(platform, now=later)
    assert report.files_removed == 1 and await storage.stat(kept_doc["key"]) is None


async def test_exif_gps_stripped_and_thumbnail(client, gql, world):
    token = await gql.login("gw0011")
    original = jpeg_with_gps()
    assert has_gps(original)
    status, body = await wx_upload(client, token, original, "IMG_0001.jpg")
    assert status == 200
    _, ctype, stored = await fetch(body["url"])
    assert ctype == "image/jpeg" and not has_gps(stored)
    with Image.open(io.BytesIO(stored)) as im:
        assert im.size == (900, 1200)  # the EXIF orientation was applied before it was dropped
        assert not im.info.get("exif") and not im.info.get("xmp")
    _, thumb_type, thumb = await fetch(body["thumbnailUrl"])
    with Image.open(io.BytesIO(thumb)) as im:
        assert thumb_type == "image/jpeg" and im.format == "JPEG" and max(im.size) == 320
        assert im.size == (240, 320)
    assert body["size"] == len(stored)


async def test_failed_storage_write_leaves_no_record(aiohttp_client, client, gql, world, platform, backend,
                                                     media_settings):
    token = await gql.login("gw0011")
    if backend == "local":  # a file where the community's folder should be: mkdir fails (even as root)
        target = client
        blocker = platform.storage.root / "files"
        blocker.parent.mkdir(parents=True, exist_ok=True)
        blocker.write_bytes(b"")
    else:  # an S3 endpoint nobody listens on
        target = await aiohttp_client(create_app(media_settings(CP_S3_ENDPOINT=f"127.0.0.1:{free_port()}")))
        ready = await target.get("/readyz")
        assert ready.status == 503 and (await ready.json())["checks"]["storage"] is False
    status, body = await wx_upload(target, token, pdf_bytes(), "a.pdf", "document", "application/pdf")
    assert status == 503 and codes(body) == ["STORAGE_UNAVAILABLE"]
    assert "nothing was saved" in body["errors"][0]["message"]
    assert await platform.files.coll.count_documents({}) == 0
    assert list(platform.media_spool.directory.iterdir()) == []


async def test_50mb_upload_peak_memory(client, gql, world, tmp_path, backend):
    """tracemalloc in this process, which runs the server (and the streaming test client)."""
    token = await gql.login("admin001")
    path = tmp_path / "big.pdf"
    block = os.urandom(MiB)
    with open(path, "wb") as f:
        f.write(b"%PDF-1.7\n")
        for _ in range(50):
            f.write(block)
    size = path.stat().st_size

    async def measured(send) -> tuple[int, dict, int]:
        tracemalloc.start()
        try:
            tracemalloc.reset_peak()
            with open(path, "rb") as f:
                resp = await send(f)
                body = await resp.json()
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        return resp.status, body, peak

    status, body, peak = await measured(lambda f: client.post(
        "/upload", data=upload_form(f, "big.pdf", "document", "application/pdf"), headers=auth(token)))
    assert status == 200 and body["size"] == size, body

    def graphql_form(f) -> aiohttp.FormData:
        form = aiohttp.FormData()
        form.add_field("operations", json.dumps({
            "query": 'mutation($f: Upload!) { uploadFile(file: $f, purpose: "document") { size } }',
            "variables": {"f": None}}))
        form.add_field("map", json.dumps({"0": ["variables.f"]}))
        form.add_field("0", f, filename="big.pdf", content_type="application/pdf")
        return form

    status, body, gql_peak = await measured(lambda f: client.post(
        "/graphql", data=graphql_form(f), headers={**auth(token), "X-Requested-With": "test"}))
    assert status == 200 and body["data"]["uploadFile"]["size"] == size, body
    print(f"\n[{backend}] 50 MB upload, tracemalloc peak: POST /upload {peak / MiB:.2f} MiB, "
          f"GraphQL multipart {gql_peak / MiB:.2f} MiB")
    assert peak < 16 * MiB and gql_peak < 16 * MiB


async def test_cleanup_runs_in_background_and_from_the_cli(aiohttp_client, client, gql, world, platform, settings,
                                                           media_settings):
    token = await gql.login("gw0011")
    files = platform.files
    # a server sweeping every ~0.1 s with a ~0.4 s orphan lifetime removes a file by itself
    quick = await aiohttp_client(create_app(media_settings(CP_ORPHAN_TTL_HOURS=0.0001,
                                                           CP_ORPHAN_SWEEP_MINUTES=0.002)))
    _, doc = await wx_upload(quick, token, pdf_bytes(), "a.pdf", "document", "application/pdf")
    for _ in range(100):
        if await files.get(doc["id"]) is None:
            break
        await asyncio.sleep(0.05)
    assert await files.get(doc["id"]) is None
    await quick.close()
    # the CLI runs one sweep with the server's environment
    _, doc = await wx_upload(client, token, pdf_bytes(), "b.pdf", "document", "application/pdf")
    env = {**os.environ, "MONGODB_URI": settings.mongodb_uri, "CP_DATA_DIR": str(settings.data_dir),
           "CP_STORAGE": settings.storage, "CP_ORPHAN_TTL_HOURS": "0.0001"}
    if settings.storage == "s3":
        env.update({k: str(v) for k, v in s3_overrides(settings.s3_endpoint).items() if k != "CP_S3_BUCKET"},
                   CP_S3_BUCKET=settings.s3_bucket)
    await asyncio.sleep(0.4)
    proc = await asyncio.create_subprocess_exec(sys.executable, "-m", "community_plus.cli", "media", "sweep", env=env,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    assert "removed 1 orphan files" in err.decode()  # the CLI's console writes to stderr
    assert await files.get(doc["id"]) is None
