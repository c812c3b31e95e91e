"""Image bombs: refused from their headers, on bounded lanes that never hold up other uploads.

A few hundred kilobytes can describe gigabytes of pixels (30 GIF frames of 3000×3000 are
234 KB). Each such file must be refused before any pixel is decoded, whatever the format
Pillow would decode it as, and expensive images that are within budget must not delay a
small upload sent meanwhile.
"""

from __future__ import annotations

import asyncio
import io
import threading
import time
from collections.abc import Callable

import aiohttp
import pytest
from media_fixtures import fetch, jpeg_with_gps, pdf_bytes, upload_form
from PIL import Image

from community_plus.app import create_app
from community_plus.keys import PLATFORM
from community_plus.domains.media.inspection import ImageRejected, sanitize_image
from community_plus.domains.media.workers import ImageWorkers, ImageWorkersBusy
from community_plus.settings import load_settings


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def upload(client, token: str, content: bytes, filename: str, content_type: str = "image/gif",
                 purpose: str = "photo") -> tuple[int, dict]:
    resp = await client.post("/upload", data=upload_form(content, filename, purpose, content_type),
                             headers=auth(token))
    return resp.status, await resp.json()


async def until(condition: Callable[[], bool], what: str) -> None:
    """Wait (without a fixed sleep) until `condition()` holds; fail after a generous 60 s."""
    deadline = time.monotonic() + 60
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.01)


# -- crafted files -----------------------------------------------------------------------
def gif_of_frames(frames: int, size: tuple[int, int], screen: tuple[int, int] | None = None) -> bytes:
    """A GIF repeating one solid frame `frames` times: tiny on disk, huge once decoded.

    `screen` overrides the logical screen size (frames may then lie outside it).
    """
    one = io.BytesIO()
    Image.new("P", size, 1).save(one, "GIF")
    data = one.getvalue()
    start = 13 + ((3 << ((data[10] & 7) + 1)) if data[10] & 0x80 else 0)
    header, frame = bytearray(data[:start]), data[start:-1]
    if screen:
        header[6:10] = screen[0].to_bytes(2, "little") + screen[1].to_bytes(2, "little")
    return bytes(header) + frame * frames + b";"


def animation(fmt: str, frames: int, size: tuple[int, int], **options) -> bytes:
    images = [Image.new("RGB", size, (i * 40 % 256, 90, 160)) for i in range(frames)]
    out = io.BytesIO()
    images[0].save(out, fmt, save_all=True, append_images=images[1:], duration=50, **options)
    return out.getvalue()


def still(fmt: str, size: tuple[int, int], mode: str = "1") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size).save(out, fmt)
    return out.getvalue()


def busy_animation() -> bytes:
    """Within budget (24 frames of 1000×1000 = 24 MP) but about a second of work: the heavy lane."""
    frames = []
    for i in range(24):
        im = Image.new("RGB", (1000, 1000), (i * 10, 100, 200))
        for x in range(0, 1000, 50):
            im.paste(((x + i * 7) % 255, 50, 90), (x, 0, x + 25, 1000))
        frames.append(im)
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=40)
    return out.getvalue()


BOMBS: dict[str, tuple[bytes, str, str]] = {}


def bombs() -> dict[str, tuple[bytes, str, str]]:
    """name → (bytes, content type, a word the message must contain). Built once per run."""
    if not BOMBS:
        BOMBS.update({
            "GIF: 30 frames of 3000×3000": (gif_of_frames(30, (3000, 3000)), "image/gif", "动图过大"),
            "GIF: 201 tiny frames": (gif_of_frames(201, (10, 10)), "image/gif", "帧数过多"),
            "GIF: frames far outside a 10×10 screen": (gif_of_frames(30, (3000, 3000), screen=(10, 10)),
                                                      "image/gif", "动图过大"),
            "GIF: 60000×60000 screen, 1×1 frame": (gif_of_frames(1, (1, 1), screen=(60000, 60000)), "image/gif",
                                                   "分辨率过大"),
            "APNG: 3 frames of 3000×3000": (animation("PNG", 3, (3000, 3000)), "image/png", "动图过大"),
            "WebP: 3 frames of 3000×3000": (animation("WEBP", 3, (3000, 3000), lossless=True, method=0),
                                            "image/webp", "动图过大"),
            "PNG: 12000×12000 (decompression bomb)": (still("PNG", (12000, 12000)), "image/png", "分辨率过大"),
            "PNG: 8000×7000 (just over 50 MP)": (still("PNG", (8000, 7000)), "image/png", "分辨率过大"),
        })
    return BOMBS


# -- tests -------------------------------------------------------------------------------
async def test_bombs_of_every_format_are_refused_from_their_headers(client, gql, world, platform):
    token = await gql.login("gw0011")
    workers: ImageWorkers = platform.media_images
    for name, (content, content_type, word) in bombs().items():
        before = workers.stats()
        status, body = await upload(client, token, content, "bomb", content_type)
        assert status == 400, (name, body)
        error = body["errors"][0]
        assert error["extensions"]["code"] == "BAD_USER_INPUT", name
        assert error["extensions"]["reason"] == "IMAGE_TOO_LARGE", name
        assert error["extensions"]["fields"][0]["path"] == "file", name
        assert word in error["message"], (name, error["message"])
        after = workers.stats()
        # refused by the header check alone: one light job (the plan), nothing decoded
        assert after["light"]["done"] == before["light"]["done"] + 1, name
        assert after["heavy"]["done"] == before["heavy"]["done"] == 0, name
    assert await platform.files.coll.count_documents({}) == 0
    assert list(platform.media_spool.directory.iterdir()) == []
    # presigned direct uploads go through the same check when confirmed
    content, content_type, _ = bombs()["GIF: 30 frames of 3000×3000"]
    ticket = (await gql.ok("""mutation($s: Int!) { requestUpload(purpose: "photo", contentType: "image/gif", size: $s)
                              { fileId uploadUrl } }""", {"s": len(content)}, token))["requestUpload"]
    async with aiohttp.ClientSession() as session, session.put(ticket["uploadUrl"], data=content) as resp:
        assert resp.status == 200
    err = await gql.error("BAD_USER_INPUT", "mutation($id: ID!) { confirmUpload(fileId: $id) { id } }",
                          {"id": ticket["fileId"]}, token)
    assert err["extensions"]["reason"] == "IMAGE_TOO_LARGE" and err["extensions"]["fields"][0]["path"] == "fileId"
    assert await platform.files.coll.count_documents({}) == 0


async def test_formats_pillow_could_decode_but_we_do_not_accept(client, gql, world, platform):
    token = await gql.login("gw0011")
    pages = [Image.new("RGB", (3000, 3000), c) for c in ("red", "green", "blue")]
    tiff = io.BytesIO()
    pages[0].save(tiff, "TIFF", save_all=True, append_images=pages[1:], compression="tiff_deflate")
    status, body = await upload(client, token, tiff.getvalue(), "scan.tif", "image/tiff")
    assert status == 400 and "unrecognised file content" in body["errors"][0]["message"]
    # a multi-picture JPEG (MPO, e.g. a phone's depth map) is a JPEG: its first frame is kept
    mpo = io.BytesIO()
    Image.new("RGB", (120, 90), "red").save(mpo, "MPO", save_all=True, append_images=[Image.new("RGB", (120, 90))])
    status, body = await upload(client, token, mpo.getvalue(), "pair.jpg", "image/jpeg")
    assert status == 200, body
    _, _, stored = await fetch(body["url"])
    with Image.open(io.BytesIO(stored)) as im:
        assert im.format == "JPEG" and im.size == (120, 90) and getattr(im, "n_frames", 1) == 1


async def test_small_uploads_finish_while_bombs_and_heavy_images_are_processed(client, gql, world, platform):
    token = await gql.login("gw0011")
    workers: ImageWorkers = platform.media_images
    heavy = busy_animation()
    heavy_uploads = [asyncio.create_task(upload(client, token, heavy, f"busy{i}.gif")) for i in range(3)]
    await until(lambda: workers.stats()["heavy"]["running"] == 1 and workers.stats()["heavy"]["waiting"] >= 1,
                "the heavy lane to be busy with a queue")
    bomb, _, _ = bombs()["GIF: 30 frames of 3000×3000"]
    bomb_uploads = [asyncio.create_task(upload(client, token, bomb, f"bomb{i}.gif")) for i in range(6)]
    photo = await upload(client, token, jpeg_with_gps((400, 300)), "photo.jpg", "image/jpeg")
    document = await upload(client, token, pdf_bytes(152), "note.pdf", "application/pdf", "document")
    refused = await asyncio.gather(*bomb_uploads)
    # the small uploads and every refusal are done while the heavy images are still being worked on
    assert not all(t.done() for t in heavy_uploads)
    assert photo[0] == 200 and photo[1]["contentType"] == "image/jpeg" and photo[1]["thumbnailUrl"]
    assert document[0] == 200 and document[1]["size"] == 152
    assert all(s == 400 and b["errors"][0]["extensions"]["reason"] == "IMAGE_TOO_LARGE" for s, b in refused)
    for status, body in await asyncio.gather(*heavy_uploads):  # within budget: accepted, animation kept
        assert status == 200, body
    _, _, stored = await fetch(body["url"])
    with Image.open(io.BytesIO(stored)) as im:
        assert im.n_frames == 24 and im.size == (1000, 1000)
    assert workers.stats()["heavy"]["done"] == 3


async def test_a_full_queue_is_a_clear_retryable_error(aiohttp_client, client, gql, world, db_uri, tmp_path):
    app = create_app(load_settings(MONGODB_URI=db_uri, CP_DATA_DIR=str(tmp_path / "busy"), CP_ENV="dev",
                                   CP_LOG_FORMAT="console", CP_IMAGE_WORKERS=1, CP_IMAGE_QUEUE_SECONDS=0.2))
    busy = await aiohttp_client(app)
    platform = busy.app[PLATFORM]
    workers: ImageWorkers = platform.media_images
    token = await gql.login("gw0011")
    gate = threading.Event()
    blocker = asyncio.create_task(workers.run("light", gate.wait))
    await until(lambda: workers.stats()["light"]["running"] == 1, "the light lane to be taken")
    try:
        status, body = await upload(busy, token, jpeg_with_gps((200, 150)), "p.jpg", "image/jpeg")
        assert status == 503, body
        error = body["errors"][0]
        assert error["extensions"]["code"] == "SERVICE_UNAVAILABLE"
        assert error["extensions"]["reason"] == "IMAGE_WORKERS_BUSY" and error["extensions"]["retryAfter"] > 0
        assert "图片处理繁忙" in error["message"]
        assert await platform.files.coll.count_documents({}) == 0
        assert list(platform.media_spool.directory.iterdir()) == []
        # a PDF needs no image worker: it is stored meanwhile
        status, _ = await upload(busy, token, pdf_bytes(), "a.pdf", "application/pdf", "document")
        assert status == 200
    finally:
        gate.set()
    await blocker
    status, body = await upload(busy, token, jpeg_with_gps((200, 150)), "p.jpg", "image/jpeg")
    assert status == 200, body


async def test_a_cancelled_request_keeps_its_slot_until_the_thread_ends():
    workers = ImageWorkers(threads=1, queue_seconds=0.05)
    gate = threading.Event()
    abandoned = threading.Event()
    try:
        job = asyncio.create_task(workers.run("heavy", gate.wait, abandoned=abandoned.set))
        await until(lambda: workers.stats()["heavy"]["running"] == 1, "the job to start")
        job.cancel()
        with pytest.raises(asyncio.CancelledError):
            await job
        with pytest.raises(ImageWorkersBusy):  # the thread still runs: no second job gets in
            await workers.run("heavy", time.monotonic)
        gate.set()
        await until(lambda: workers.stats()["heavy"]["running"] == 0, "the thread to finish")
        assert abandoned.is_set()
        assert await workers.run("heavy", sum, [1, 2]) == 3
    finally:
        gate.set()
        workers.close()


async def test_animations_keep_frames_and_timing_but_lose_metadata(client, gql, world):
    token = await gql.login("gw0011")
    frames = [Image.new("RGB", (60, 40), (i * 80, 255 - i * 80, 0)) for i in range(3)]
    original = io.BytesIO()
    frames[0].save(original, "GIF", save_all=True, append_images=frames[1:], duration=[10, 20, 30], loop=0,
                   comment=b"GPS 32.05N 118.78E")
    assert b"GPS 32.05N" in original.getvalue()
    status, body = await upload(client, token, original.getvalue(), "wave.gif")
    assert status == 200, body
    _, _, stored = await fetch(body["url"])
    assert b"GPS 32.05N" not in stored
    with Image.open(io.BytesIO(stored)) as im:
        durations = []
        for i in range(im.n_frames):
            im.seek(i)
            durations.append(im.info["duration"])
        assert im.n_frames == 3 and durations == [10, 20, 30] and "comment" not in im.info


def test_the_deadline_is_checked_between_frames(tmp_path):
    src, dst = tmp_path / "a.gif", tmp_path / "b.gif"
    src.write_bytes(animation("GIF", 4, (50, 50)))
    with pytest.raises(ImageRejected) as exc:
        sanitize_image(src, dst, "image/gif", deadline=time.monotonic() - 1)
    assert exc.value.reason == "IMAGE_TOO_SLOW" and "超时" in str(exc.value)
    assert sanitize_image(src, dst, "image/gif").width == 50
