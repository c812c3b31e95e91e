"""Presigned direct uploads: the client PUTs the bytes straight to storage, then confirms.

`requestUpload` reserves a `pending` file (counted against the quota with its declared size)
and returns a short-lived PUT URL for a *staging* key. `confirmUpload` checks what arrived —
its size against the declared size, its content type from its first bytes — and only then
copies it to the file's final key (images are downloaded, sanitised and re-uploaded with a
thumbnail, as for any other upload) and marks it `stored`. Anything wrong: the staging
object and the record are removed and the client must request a new upload.

Staging keeps a client that still holds the PUT URL from replacing a verified file: a late
PUT only lands in the staging key, which the orphan sweep deletes once the URL has expired.
S3 cannot cap the size of a presigned PUT (the local backend's signed PUT can), so the size
check at confirmation is what enforces the limit there. No sha256 is recorded for non-image
direct uploads: computing it would mean downloading the whole object.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from community_plus.platform.errors import BadUserInput, Conflict, FieldErrors, Forbidden
from community_plus.platform.repository import new_id
from community_plus.domains.media.inspection import HEAD_BYTES, is_image, sniff
from community_plus.domains.media.policy import Purpose, purpose_of, size_problem, type_problem
from community_plus.domains.media.repository import DELETING, PENDING, STORED
from community_plus.domains.media.service import ImageRefused, MediaService, log, object_keys, purge
from community_plus.domains.media.storage import SignedUrl, StorageError, StorageUnavailable

UPLOAD_URL_TTL = 900  # seconds a presigned PUT URL stays valid


class DirectUploads(MediaService):
    """`requestUpload` and `confirmUpload`, with the same scope and quota rules as other uploads."""

    async def request_upload(self, purpose_name: str, content_type: str, size: int,
                             community_id: str | None = None) -> tuple[dict[str, Any], SignedUrl]:
        """Reserve a pending file and return a presigned PUT URL for its bytes."""
        pr = self.scope.require()
        errors = FieldErrors()
        purpose: Purpose | None = None
        try:
            purpose = purpose_of(purpose_name)
        except BadUserInput as exc:
            errors.add("purpose", exc.fields["purpose"])
        if purpose is not None:
            if problem := type_problem(purpose, content_type):
                errors.add("contentType", problem)
            if problem := size_problem(purpose, size):
                errors.add("size", problem)
        errors.raise_if_any()
        assert purpose is not None
        community = await self._upload_community(community_id)
        file_id = new_id()
        keys = object_keys(community["_id"], file_id)
        expires = datetime.now(UTC) + timedelta(seconds=UPLOAD_URL_TTL)
        doc = self._new_doc(file_id, pr.user_id, community, purpose, content_type, size, keys["key"],
                            stagingKey=keys["stagingKey"], stagingExpiresAt=expires)
        await self._reserve(doc, "size")
        signed = self.storage.signed_put(keys["stagingKey"], UPLOAD_URL_TTL, size, self._base_url())
        return doc, signed

    async def confirm_upload(self, file_id: str) -> dict[str, Any]:
        """Verify a presigned upload (size, content type from its first bytes) and make it usable."""
        doc = await self.get(file_id)
        if not self._may_manage(doc):
            raise Forbidden()
        if doc["state"] != PENDING:
            return doc  # confirming twice is harmless
        if not doc.get("stagingKey"):
            raise BadUserInput({"fileId": "此文件不是直传上传 (not a presigned upload)"})
        staging = doc["stagingKey"]
        try:
            info = await self.storage.stat(staging)
            if info is None:
                raise BadUserInput({"fileId": "尚未收到文件，请先上传到 uploadUrl (nothing uploaded yet: PUT the file "
                                              "to uploadUrl first)"})
            problem = None
            if info.size != doc["size"]:
                problem = (f"文件大小不符：声明 {doc['size']} 字节，实际 {info.size} 字节 (size mismatch: declared "
                           f"{doc['size']} bytes, uploaded {info.size}); 请重新申请上传 (request a new upload)")
            else:
                actual = sniff(await self.storage.read_head(staging, HEAD_BYTES))
                if actual != doc["contentType"]:
                    problem = (type_problem(purpose_of(doc["purpose"]), actual)
                               or f"文件内容为 {actual}，与声明的 {doc['contentType']} 不符 (content is {actual}, "
                                  f"declared {doc['contentType']})")
            if problem:
                await purge(self.files, self.storage, doc)
                raise BadUserInput({"fileId": problem})
            changes = await self._finalise_direct(doc)
        except StorageError as exc:
            log.error("storage failed while confirming an upload", file=file_id, error=str(exc))
            raise StorageUnavailable("文件存储暂不可用，请稍后再确认 (file storage is unavailable; confirm again "
                                     "later)") from exc
        stored = await self.files.transition(file_id, (PENDING,), {"state": STORED, **changes})
        if stored is None:  # a concurrent confirmation won, or the upload was removed meanwhile
            stored = await self.files.get(file_id)
            if stored is None or stored["state"] in (PENDING, DELETING):
                raise Conflict("上传已被取消 (the upload was removed meanwhile; upload again)")
        try:
            await self.storage.delete(staging)  # a later PUT to the old URL is swept once it expires
        except StorageError:
            pass
        return stored

    async def _finalise_direct(self, doc: dict[str, Any]) -> dict[str, Any]:
        """Move the staging object to its final key; images are sanitised on the way."""
        staging, content_type = doc["stagingKey"], doc["contentType"]
        if not is_image(content_type):
            await self.storage.copy(staging, doc["key"], content_type)
            return {}  # no sha256: hashing would mean downloading the whole object
        raw = self.spool.directory / f"{doc['_id']}.direct"
        clean = self.spool.directory / f"{doc['_id']}.clean"
        try:
            await self.storage.download(staging, raw)
            try:
                image = await self.sanitize(raw, clean, content_type, "fileId")
            except ImageRefused:
                await purge(self.files, self.storage, doc)
                raise
            sha256 = image.sha256
            await self.storage.put_file(doc["key"], clean, image.size, content_type)
            thumb_key = object_keys(doc["communityId"], doc["_id"])["thumbKey"]
            await self.storage.put_bytes(thumb_key, image.thumbnail, "image/jpeg")
        finally:
            raw.unlink(missing_ok=True)
            clean.unlink(missing_ok=True)
        return {"size": image.size, "sha256": sha256, "thumbKey": thumb_key, "thumbSize": len(image.thumbnail),
                "width": image.width, "height": image.height}
