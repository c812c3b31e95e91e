"""GraphQL API of media: the `File` type, `file(id)`, and the upload mutations.

Three ways to upload, all through `MediaService` and the same checks:
- `uploadFile(file: Upload!, purpose)` — the GraphQL multipart request spec (send a
  CSRF header, see `multipart`);
- `requestUpload` → PUT the bytes to `uploadUrl` → `confirmUpload(fileId)` — presigned
  direct upload for large files: the server verifies size and content before the file is
  usable;
- `POST /upload` — for `wx.uploadFile` (see `routes`), answering the same fields as JSON.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import strawberry
from strawberry.file_uploads import Upload

from community_plus.platform.errors import BadUserInput
from community_plus.platform.context import Ctx
from community_plus.domains.media.direct import DirectUploads
from community_plus.domains.media.service import MediaService
from community_plus.domains.media.spool import ReceivedFile

@strawberry.enum(description="Lifecycle of a file.")
class FileState(enum.Enum):
    PENDING = "pending"
    STORED = "stored"
    ATTACHED = "attached"


@strawberry.type(description="An uploaded photo, document or video. URLs are short-lived: ask for them when needed.")
class File:
    id: strawberry.ID
    purpose: str = strawberry.field(description="photo, document or video.")
    content_type: str = strawberry.field(description="Decided from the file's content, not its name.")
    size: int = strawberry.field(description="Bytes stored (images are stored without their metadata).")
    name: str | None = strawberry.field(description="The name the client gave the file.")
    state: FileState
    created_at: datetime
    doc: strawberry.Private[dict[str, Any]]

    @strawberry.field(description="Download URL valid for a few minutes (CP_FILE_URL_TTL); null until confirmed.")
    def url(self, info: Ctx) -> str | None:
        signed = MediaService(info.context).url(self.doc)
        return signed.url if signed else None

    @strawberry.field(description="A JPEG thumbnail (at most 320×320) for images; null otherwise.")
    def thumbnail_url(self, info: Ctx) -> str | None:
        signed = MediaService(info.context).url(self.doc, thumbnail=True)
        return signed.url if signed else None

    @classmethod
    def of(cls, d: dict[str, Any]) -> File:
        return cls(id=strawberry.ID(d["_id"]), purpose=d["purpose"], content_type=d["contentType"], size=d["size"],
                   name=d.get("name"), state=FileState(d["state"]), created_at=d["createdAt"], doc=d)


@strawberry.type(description="Where to PUT a file's bytes; call confirmUpload(fileId) afterwards.")
class PresignedUpload:
    file_id: strawberry.ID
    upload_url: str = strawberry.field(description="PUT the raw bytes here (not multipart) before expiresAt.")
    method: str
    expires_at: datetime
    file: File


@strawberry.type
class MediaQuery:
    @strawberry.field(description="A file you may see: yours, your scope's, or one attached to a record you can see.")
    async def file(self, info: Ctx, id: strawberry.ID) -> File:
        return File.of(await MediaService(info.context).get(id))


@strawberry.type
class MediaMutation:
    @strawberry.mutation(description="Start a presigned direct upload: reserves a pending file and returns a PUT URL.")
    async def request_upload(self, info: Ctx, purpose: str, content_type: str, size: int,
                             community_id: strawberry.ID | None = None) -> PresignedUpload:
        doc, signed = await DirectUploads(info.context).request_upload(purpose, content_type, size, community_id)
        return PresignedUpload(file_id=strawberry.ID(doc["_id"]), upload_url=signed.url, method="PUT",
                               expires_at=signed.expires_at, file=File.of(doc))

    @strawberry.mutation(description="Verify a presigned upload's size and content; the file becomes usable.")
    async def confirm_upload(self, info: Ctx, file_id: strawberry.ID) -> File:
        return File.of(await DirectUploads(info.context).confirm_upload(file_id))

    @strawberry.mutation(description="Delete a file that is not attached to any record.")
    async def delete_file(self, info: Ctx, id: strawberry.ID) -> bool:
        return await MediaService(info.context).delete(id)

    @strawberry.mutation(description="Upload through the GraphQL multipart request spec (send Apollo-Require-Preflight).")
    async def upload_file(self, info: Ctx, file: Upload, purpose: str,
                          community_id: strawberry.ID | None = None) -> File:
        if not isinstance(file, ReceivedFile):
            raise BadUserInput({"file": "请使用 multipart 请求上传文件 (send the file as a GraphQL multipart request)"})
        return File.of(await MediaService(info.context).store(file, purpose, community_id))
