"""Receiving an upload without holding it in memory.

A body (a multipart part, or a raw PUT body) is read in 64 KiB chunks, hashed and counted on
the way, and written to a temporary file in the media temp folder in ~1 MiB batches from a
worker thread; memory per upload stays around 1 MiB whatever the file size. The size limit is
enforced while reading, so an oversized upload is refused as soon as it crosses the limit.
Temp files live next to the local objects folder, so the local backend can move them into
place with a rename.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from aiohttp import BodyPartReader

from community_plus.platform.errors import BadUserInput
from community_plus.domains.media.inspection import HEAD_BYTES
from community_plus.domains.media.policy import MiB

CHUNK = 64 * 1024
FLUSH = 1 * MiB
MAX_TEXT_FIELD = 64 * 1024  # plain form fields (purpose, GraphQL `operations`, `map`)


class FileTooLarge(BadUserInput):
    """The body crossed its size limit; HTTP handlers answer 413."""

    http_status = 413

    def __init__(self, limit: int, field: str = "file") -> None:
        super().__init__({field: f"文件不能超过 {limit // MiB} MB (too large: at most {limit // MiB} MB here)"})


@dataclass(slots=True)
class ReceivedFile:
    """An upload spooled to disk: path, size, sha256 and the first bytes (for sniffing)."""

    path: Path
    size: int
    sha256: str
    head: bytes
    filename: str | None = None
    declared_type: str | None = None  # what the client said; never trusted for decisions

    def discard(self) -> None:
        """Remove the temp file unless a backend has moved it away already."""
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass


@dataclass(frozen=True, slots=True)
class Spool:
    """Where temp files go and the largest body any upload may have."""

    directory: Path
    max_bytes: int

    def ensure(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)

    async def receive(self, read_chunk: Callable[[int], Awaitable[bytes]], limit: int | None = None, *,
                      filename: str | None = None, declared_type: str | None = None) -> ReceivedFile:
        """Read chunks until the body ends; FileTooLarge past `limit` (temp file removed)."""
        limit = self.max_bytes if limit is None else min(limit, self.max_bytes)
        fd, name = tempfile.mkstemp(dir=self.directory, prefix="up-", suffix=".part")
        path = Path(name)
        digest = hashlib.sha256()
        size = 0
        head = b""
        batch: list[bytes] = []
        batched = 0
        out: IO[bytes] = os.fdopen(fd, "wb")
        try:
            while chunk := await read_chunk(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise FileTooLarge(limit)
                if len(head) < HEAD_BYTES:
                    head += chunk[:HEAD_BYTES - len(head)]
                digest.update(chunk)
                batch.append(chunk)
                batched += len(chunk)
                if batched >= FLUSH:
                    await asyncio.to_thread(_write_all, out, batch)
                    batch, batched = [], 0
            if batch:
                await asyncio.to_thread(_write_all, out, batch)
            await asyncio.to_thread(out.close)
        except BaseException:
            out.close()
            path.unlink(missing_ok=True)
            raise
        return ReceivedFile(path=path, size=size, sha256=digest.hexdigest(), head=head,
                            filename=clean_filename(filename), declared_type=declared_type)


async def read_text_part(part: BodyPartReader, limit: int = MAX_TEXT_FIELD) -> str:
    """A plain (non-file) multipart field as text, refusing fields longer than `limit` bytes."""
    data = bytearray()
    while chunk := await part.read_chunk(8192):
        data += chunk
        if len(data) > limit:
            raise BadUserInput({part.name or "form": f"字段过长 (form field longer than {limit} bytes)"})
    try:
        return data.decode(part.get_charset(default="utf-8"))
    except (UnicodeDecodeError, LookupError) as exc:
        raise BadUserInput({part.name or "form": "字段编码无效 (form field is not valid UTF-8)"}) from exc


def _write_all(out: IO[bytes], chunks: list[bytes]) -> None:
    for c in chunks:
        out.write(c)


_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\]+")


def clean_filename(name: str | None) -> str | None:
    """The last path segment of a client-supplied name, without control characters, ≤ 120 chars."""
    if not name:
        return None
    name = _UNSAFE.sub("_", name.replace("\\", "/").rsplit("/", 1)[-1]).strip(" .")
    return name[-120:] or None
