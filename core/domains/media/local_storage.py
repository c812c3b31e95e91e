"""The default backend: a folder under `CP_DATA_DIR`, with HMAC-signed expiring URLs.

URLs look like `/media/<key>?exp=<unix time>&…&sig=<hex>` and are served by `routes`. The
signature (HMAC-SHA256 with a key derived from `CP_SECRET_KEY`) covers the method, the key,
the expiry and the parameters the route acts on (the content type to serve, the largest
body to accept), so a URL cannot be reused for another object, verb or lifetime.
Writes go to a temp file in the same folder tree and are renamed into place: a reader never
sees half a file.
"""

from __future__ import annotations

import asyncio
import errno
import hashlib
import hmac
import os
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, urlencode

from community_plus.domains.media.storage import ObjectInfo, SignedUrl, StorageError

_KEY_CONTEXT = b"community-plus/media-url/v1"


class LocalStorage:
    """Objects as files under `root`; `<root>/<key>`."""

    name = "local"

    def __init__(self, root: Path, signing_key: str) -> None:
        self.root = Path(root).resolve()
        self._tmp = self.root / ".tmp"
        self._mac_key = hmac.new(signing_key.encode(), _KEY_CONTEXT, hashlib.sha256).digest()

    # -- lifecycle ------------------------------------------------------------------------
    async def open(self) -> None:
        await asyncio.to_thread(self._tmp.mkdir, parents=True, exist_ok=True)

    async def close(self) -> None:
        return None

    async def healthy(self) -> bool:
        return await asyncio.to_thread(lambda: self.root.is_dir() and os.access(self.root, os.W_OK))

    # -- objects --------------------------------------------------------------------------
    def path_of(self, key: str) -> Path:
        """The file for `key`; refuses keys that would leave the root."""
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root) or path == self.root or key.startswith("."):
            raise StorageError(f"invalid object key {key!r}")
        return path

    async def put_file(self, key: str, path: Path, size: int, content_type: str) -> None:
        target = self.path_of(key)
        await self._run(self._move, path, target)

    async def put_bytes(self, key: str, data: bytes, content_type: str) -> None:
        target = self.path_of(key)
        await self._run(self._write, target, data)

    async def stat(self, key: str) -> ObjectInfo | None:
        def _stat() -> ObjectInfo | None:
            try:
                return ObjectInfo(size=self.path_of(key).stat().st_size)
            except FileNotFoundError:
                return None

        return await self._run(_stat)

    async def read_head(self, key: str, length: int) -> bytes:
        def _read() -> bytes:
            with open(self.path_of(key), "rb") as f:
                return f.read(length)

        return await self._run(_read)

    async def download(self, key: str, path: Path) -> None:
        await self._run(shutil.copyfile, self.path_of(key), path)

    async def copy(self, src: str, dst: str, content_type: str) -> None:
        def _copy() -> None:
            target = self.path_of(dst)
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self._tmp, prefix="cp-")
            os.close(fd)
            shutil.copyfile(self.path_of(src), tmp)
            os.replace(tmp, target)

        await self._run(_copy)

    async def delete(self, key: str) -> None:
        await self._run(lambda: self.path_of(key).unlink(missing_ok=True))

    # -- signed URLs ----------------------------------------------------------------------
    def signed_get(self, key: str, ttl: int, content_type: str, base_url: str) -> SignedUrl:
        return self._signed("GET", key, ttl, base_url, {"ct": content_type})

    def signed_put(self, key: str, ttl: int, max_bytes: int, base_url: str) -> SignedUrl:
        return self._signed("PUT", key, ttl, base_url, {"max": str(max_bytes)})

    def verify(self, method: str, key: str, query: dict[str, str]) -> str | None:
        """None when the URL's signature and expiry are valid, else why not (for the route)."""
        try:
            exp = int(query.get("exp", ""))
        except ValueError:
            return "bad expiry"
        params = {k: v for k, v in query.items() if k not in ("exp", "sig")}
        expected = self._signature(method, key, exp, params)
        if not hmac.compare_digest(expected, query.get("sig", "")):
            return "bad signature"
        if exp < time.time():
            return "expired"
        return None

    def _signed(self, method: str, key: str, ttl: int, base_url: str, params: dict[str, str]) -> SignedUrl:
        exp = int(time.time()) + ttl
        query = urlencode({**params, "exp": str(exp), "sig": self._signature(method, key, exp, params)})
        return SignedUrl(url=f"{base_url.rstrip('/')}/media/{quote(key)}?{query}",
                         expires_at=datetime.fromtimestamp(exp, UTC))

    def _signature(self, method: str, key: str, exp: int, params: dict[str, str]) -> str:
        message = "\n".join([method, key, str(exp), *(f"{k}={params[k]}" for k in sorted(params))])
        return hmac.new(self._mac_key, message.encode(), hashlib.sha256).hexdigest()

    # -- helpers --------------------------------------------------------------------------
    def _move(self, src: Path, target: Path) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.replace(src, target)
        except OSError as exc:  # another file system: copy beside the target, then rename
            if exc.errno != errno.EXDEV:
                raise
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".cp-")
            os.close(fd)
            shutil.copyfile(src, tmp)
            os.replace(tmp, target)
            src.unlink(missing_ok=True)

    def _write(self, target: Path, data: bytes) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".cp-")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, target)

    async def _run(self, fn, *args):
        try:
            return await asyncio.to_thread(fn, *args)
        except StorageError:
            raise
        except FileNotFoundError as exc:
            raise StorageError(f"no such object: {exc.filename}") from exc
        except OSError as exc:
            raise StorageError(f"local storage error: {exc.strerror or exc}") from exc
