"""The storage interface both backends implement, its errors, and the factory.

Keys are chosen by the service (`<communityId>/<fileId>`…), never by clients. A backend only
moves bytes and signs URLs: rules, scope and bookkeeping live in `service`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol, runtime_checkable

from community_plus.platform.errors import AppError
from community_plus.settings import Settings


class StorageError(Exception):
    """A backend operation failed (unreachable store, disk error…); the message says which."""


class StorageUnavailable(AppError):
    """User-facing: the store could not take or give the file; nothing was recorded."""

    code = "STORAGE_UNAVAILABLE"
    http_status = 503

    def __init__(self, message: str = "文件存储暂不可用，请稍后重试 (file storage is unavailable; nothing was saved, "
                                      "try again later)", **ext: object) -> None:
        super().__init__(message, **ext)


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    size: int


@dataclass(frozen=True, slots=True)
class SignedUrl:
    url: str
    expires_at: datetime


@runtime_checkable
class Storage(Protocol):
    """Object storage as the media service needs it. All methods raise `StorageError`."""

    name: str

    async def open(self) -> None:
        """Prepare the store (create the folder or bucket when missing); called at start-up."""

    async def close(self) -> None: ...

    async def healthy(self) -> bool:
        """Whether the store answers now (for /readyz); never raises."""

    async def put_file(self, key: str, path: Path, size: int, content_type: str) -> None:
        """Store a local file under `key`. The backend may move `path` away (local rename)."""

    async def put_bytes(self, key: str, data: bytes, content_type: str) -> None:
        """Store a small object (thumbnails)."""

    async def stat(self, key: str) -> ObjectInfo | None:
        """Size of the object, or None when there is none."""

    async def read_head(self, key: str, length: int) -> bytes:
        """The first `length` bytes of the object (fewer when it is shorter)."""

    async def download(self, key: str, path: Path) -> None:
        """Copy the object into a local file, streaming."""

    async def copy(self, src: str, dst: str, content_type: str) -> None:
        """Server-side copy (staging → final key), stored with `content_type`."""

    async def delete(self, key: str) -> None:
        """Remove the object; no error when it does not exist."""

    def signed_get(self, key: str, ttl: int, content_type: str, base_url: str) -> SignedUrl:
        """A URL anyone holding it may GET for `ttl` seconds; served with `content_type`."""

    def signed_put(self, key: str, ttl: int, max_bytes: int, base_url: str) -> SignedUrl:
        """A URL the client PUTs the object's bytes to for `ttl` seconds."""


def media_root(settings: Settings) -> Path:
    return Path(settings.data_dir) / "media"
