"""Media test support: a real S3 endpoint (moto's server) and sample files.

moto's server runs as a child process (`python -m moto.server`, the same server
`ThreadedMotoServer` wraps) rather than a thread of the test process: the memory test
measures our server with tracemalloc, and moto keeps uploaded objects in memory — in a
thread, its copy of the 50 MB object would be counted as ours.
"""

from __future__ import annotations

import io
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator

import aiohttp
import pytest
from PIL import ExifTags, Image

from community_plus.platform.testing import free_port

MiB = 1024 * 1024


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """`host:port` of a moto S3 server (plain HTTP, SigV4, presigned URLs, multipart)."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError("moto server did not start") from None
            time.sleep(0.05)
    yield f"127.0.0.1:{port}"
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def s3_overrides(endpoint: str) -> dict[str, object]:
    """Settings for the S3 backend on moto, with a fresh bucket (the server creates it)."""
    return {"CP_STORAGE": "s3", "CP_S3_ENDPOINT": endpoint, "CP_S3_ACCESS_KEY": "testing",
            "CP_S3_SECRET_KEY": "testing", "CP_S3_SECURE": False, "CP_S3_REGION": "us-east-1",
            "CP_S3_BUCKET": f"cp-test-{uuid.uuid4().hex[:12]}"}


def jpeg_with_gps(size: tuple[int, int] = (1200, 900)) -> bytes:
    """A JPEG whose EXIF has a GPS position, a camera make and an orientation tag."""
    im = Image.new("RGB", size, (30, 120, 200))
    for x in range(0, size[0], 40):  # some detail so it is not trivially compressible
        im.paste((x % 255, 200, 90), (x, 0, x + 20, size[1]))
    exif = im.getexif()
    exif[ExifTags.Base.Make] = "TestPhone"
    exif[ExifTags.Base.Orientation] = 6  # rotated 90°: stored 1200×900, shown 900×1200
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (32.0, 3.0, 30.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (118.0, 47.0, 10.0)
    out = io.BytesIO()
    im.save(out, "JPEG", exif=exif, quality=85)
    return out.getvalue()


def pdf_bytes(size: int = 4096) -> bytes:
    head = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
    return head + b"0" * (size - len(head))


def has_gps(data: bytes) -> bool:
    with Image.open(io.BytesIO(data)) as im:
        return bool(im.getexif().get_ifd(ExifTags.IFD.GPSInfo)) or "exif" in im.info


def upload_form(content, filename: str, purpose: str | None = "photo", content_type: str = "image/jpeg",
                **fields: str) -> aiohttp.FormData:
    """What wx.uploadFile sends: string fields (`formData`) and one file part named `file`."""
    form = aiohttp.FormData()
    if purpose is not None:
        form.add_field("purpose", purpose)
    for name, value in fields.items():
        form.add_field(name, value)
    form.add_field("file", content, filename=filename, content_type=content_type)
    return form


async def fetch(url: str) -> tuple[int, str | None, bytes]:
    """GET a signed URL the way a mini-program would: no Authorization header."""
    async with aiohttp.ClientSession() as session, session.get(url) as resp:
        return resp.status, resp.headers.get("Content-Type"), await resp.read()
