"""Media rules: who may store, read, attach and delete files, and how uploads become usable.

A file belongs to one community and one owner, and follows the visibility of the record it
is attached to. Reading it (a short-lived URL) is allowed to

- its owner (the uploader), and administrators (community, region, platform) whose scope
  covers its community — they manage the community's storage;
- once it is attached to a record, whoever the owning subsystem says may see that record
  (`register_entity_visibility`): a work order's photos to whoever may see the work order,
  a module row's files to whoever may read that row (both checks are scoped to the caller's
  community). An entity nobody registered is visible to owner and administrators only.

Nobody else, whatever their role: a grid worker does not see another grid's photos, nor
anyone's unattached uploads. Attaching, confirming and deleting follow the same
owner-or-administrator rule. Out-of-scope reads are NOT_FOUND, never FORBIDDEN, so ids leak
nothing.

Quota: the `files` collection is the single source of truth. An upload first inserts its
record (state `pending`, with its size) and then sums the community's usage; when the sum
is over `CP_STORAGE_QUOTA_MB` it deletes its own record and fails. Concurrent uploads can
therefore never overshoot the quota together (at worst both are refused), and there is no
counter to drift. A pending record left by a crash is removed by the orphan sweep.

Other subsystems call `attach_files(ctx, file_ids, entity, entity_id)` when a record (a
work order, a visit) starts referencing files and `release_files(ctx, entity, entity_id)`
when it stops (or is deleted); released files are then removed by the orphan sweep.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog

from community_plus.platform.errors import BadUserInput, Conflict, FieldErrors, Forbidden, NotFound
from community_plus.platform.repository import new_id
from community_plus.domains.media.inspection import ImageRejected, SanitizedImage, is_image, sniff
from community_plus.domains.media.policy import MiB, Purpose, purpose_of, size_problem, type_problem
from community_plus.domains.media.repository import ATTACHED, DELETING, PENDING, STORED, FileRepository
from community_plus.domains.media.spool import ReceivedFile, Spool
from community_plus.domains.media.storage import SignedUrl, Storage, StorageError, StorageUnavailable
from community_plus.domains.media.workers import ImageWorkers

if TYPE_CHECKING:
    from community_plus.domains.platform import Platform
    from community_plus.platform.context import RequestContext

log = structlog.get_logger("community_plus.domains.media")

ADMIN_ROLES = ("platform_admin", "region_admin", "community_admin")
EntityVisibility = Callable[["RequestContext", str], Awaitable[bool]]


class QuotaExceeded(BadUserInput):
    """The community's storage quota would be exceeded (BAD_USER_INPUT, reason STORAGE_QUOTA_EXCEEDED)."""

    def __init__(self, field: str, used: int, quota: int, size: int) -> None:
        message = (f"社区存储空间不足：已用 {used / MiB:.1f} MB，配额 {quota // MiB} MB，本文件 {size / MiB:.1f} MB"
                   f" (community storage quota exceeded; delete unused files or ask the operator to raise "
                   f"CP_STORAGE_QUOTA_MB)")
        super().__init__({field: message}, message=message)
        self.extensions["reason"] = "STORAGE_QUOTA_EXCEEDED"


def register_entity_visibility(platform: Platform, entity: str, checker: EntityVisibility) -> None:
    """Let principals who may see `entity` records also read the files attached to them.

    Example (in the work-order subsystem's setup)::

        async def can_see_work_order(ctx, work_order_id):
            return await WorkOrderService(ctx).visible(work_order_id)

        register_entity_visibility(platform, "workOrder", can_see_work_order)
    """
    platform.media_visibility[entity] = checker


def object_keys(community_id: str, file_id: str) -> dict[str, str]:
    """Storage keys of a file: the object, its thumbnail and the presigned-upload staging object."""
    return {"key": f"files/{community_id}/{file_id}", "thumbKey": f"thumbs/{community_id}/{file_id}.jpg",
            "stagingKey": f"incoming/{community_id}/{file_id}"}


async def purge(files: FileRepository, storage: Storage, doc: dict[str, Any]) -> bool:
    """Remove a file's objects, then its record. False (record left `deleting`) if the store failed."""
    if doc.get("state") != DELETING:
        claimed = await files.transition(doc["_id"], (PENDING, STORED, DELETING), {"state": DELETING})
        if claimed is None:  # attached meanwhile, or gone
            return False
        doc = claimed
    try:
        for k in ("key", "thumbKey", "stagingKey"):
            if doc.get(k):
                await storage.delete(doc[k])
    except StorageError as exc:
        log.warning("could not delete objects; the orphan sweep retries", file=doc["_id"], error=str(exc))
        return False
    await files.remove(doc["_id"])
    return True


class ImageRefused(BadUserInput):
    """An image over the decoding budget, too slow or corrupt (BAD_USER_INPUT with a `reason`:
    IMAGE_TOO_LARGE, IMAGE_TOO_SLOW or IMAGE_UNREADABLE)."""

    def __init__(self, field: str, exc: ImageRejected) -> None:
        super().__init__({field: str(exc)})
        self.extensions["reason"] = exc.reason


class MediaService:
    def __init__(self, ctx: RequestContext) -> None:
        self.ctx = ctx
        self.p = ctx.platform
        self.scope = ctx.scope
        self.files: FileRepository = self.p.files
        self.storage: Storage = self.p.storage
        self.spool: Spool = self.p.media_spool
        self.images: ImageWorkers = self.p.media_images

    # -- reads --------------------------------------------------------------------------
    async def get(self, id: str) -> dict[str, Any]:
        """A file the caller may read; NOT_FOUND otherwise (no existence leak)."""
        self.scope.require()
        doc = await self.files.get(id)
        if doc is None or doc["state"] == DELETING or not await self.can_read(doc):
            raise NotFound("file")
        return doc

    async def can_read(self, doc: dict[str, Any]) -> bool:
        """Owner and administrators; for an attached file, whoever may see its record."""
        if self._may_manage(doc):
            return True
        attached = doc.get("attachedTo")
        if self.scope.principal is None or not attached:
            return False
        checker = self.p.media_visibility.get(attached["entity"])
        return bool(checker and await checker(self.ctx, attached["id"]))

    def _may_manage(self, doc: dict[str, Any]) -> bool:
        """Owner, or an administrator whose scope covers the file's community (never other staff)."""
        p = self.scope.principal
        if p is None:
            return False
        if doc["ownerId"] == p.user_id:
            return True
        community = {"_id": doc["communityId"], "path": doc.get("regionPath", [])}
        return p.role in ADMIN_ROLES and self.scope.covers_community(community)

    def url(self, doc: dict[str, Any], thumbnail: bool = False) -> SignedUrl | None:
        """A short-lived URL for the file (or its thumbnail); None while it is not usable."""
        if doc["state"] not in (STORED, ATTACHED):
            return None
        key = doc.get("thumbKey") if thumbnail else doc["key"]
        if not key:
            return None
        content_type = "image/jpeg" if thumbnail else doc["contentType"]
        return self.storage.signed_get(key, self.p.settings.file_url_ttl, content_type, self._base_url())

    def _base_url(self) -> str:
        if self.p.settings.public_url:
            return self.p.settings.public_url
        if self.ctx.request is not None:
            return str(self.ctx.request.url.origin())
        return "http://localhost"

    # -- uploads through the server (POST /upload, GraphQL multipart) --------------------
    async def store(self, received: ReceivedFile, purpose_name: str | None, community_id: str | None = None,
                    field: str = "file") -> dict[str, Any]:
        """Check, sanitise and store a spooled upload; returns the `stored` file record."""
        pr = self.scope.require()
        purpose = purpose_of(purpose_name)
        community = await self._upload_community(community_id)
        if problem := size_problem(purpose, received.size):
            raise BadUserInput({field: problem})
        content_type = sniff(received.head)
        if problem := type_problem(purpose, content_type):
            raise BadUserInput({field: problem})
        assert content_type is not None
        file_id = new_id()
        keys = object_keys(community["_id"], file_id)
        path, size, sha256, thumb = received.path, received.size, received.sha256, None
        extra: dict[str, Any] = {}
        try:
            if is_image(content_type):
                path = self.spool.directory / f"{file_id}.clean"
                image = await self.sanitize(received.path, path, content_type, field)
                size, thumb, sha256 = image.size, image.thumbnail, image.sha256
                extra = {"width": image.width, "height": image.height, "thumbSize": len(thumb)}
            doc = self._new_doc(file_id, pr.user_id, community, purpose, content_type, size, keys["key"],
                                name=received.filename, sha256=sha256, **extra)
            if thumb is not None:
                doc["thumbKey"] = keys["thumbKey"]
            await self._reserve(doc, field)
            try:
                await self.storage.put_file(doc["key"], path, size, content_type)
                if thumb is not None:
                    await self.storage.put_bytes(doc["thumbKey"], thumb, "image/jpeg")
            except StorageError as exc:
                log.error("storage write failed; upload discarded", file=file_id, error=str(exc))
                await self._discard_failed_write(doc)
                raise StorageUnavailable() from exc
        finally:
            if path != received.path:
                path.unlink(missing_ok=True)
        stored = await self.files.transition(file_id, (PENDING,), {"state": STORED})
        if stored is None:
            raise Conflict("上传已被取消 (the upload was removed while it was being stored; upload again)")
        log.info("file stored", file=file_id, purpose=purpose.name, size=size, type=content_type)
        return stored

    async def sanitize(self, src: Path, dst: Path, content_type: str, field: str) -> SanitizedImage:
        """Check an image's budget from its headers, then re-encode it, on the image lanes."""
        try:
            plan = await self.images.plan(src, content_type)
            return await self.images.sanitize(src, dst, content_type, plan)
        except ImageRejected as exc:
            log.info("image refused", reason=exc.reason, detail=str(exc))
            raise ImageRefused(field, exc) from exc

    # -- delete, attach, release --------------------------------------------------------
    async def delete(self, file_id: str) -> bool:
        doc = await self.get(file_id)
        p = self.scope.require()
        if doc["ownerId"] != p.user_id and p.role not in ADMIN_ROLES:
            raise Forbidden("只能删除自己上传的文件 (you may delete only your own files)")
        if doc["state"] == ATTACHED:
            raise Conflict(self._attached_message(doc))
        claimed = await self.files.transition(file_id, (PENDING, STORED), {"state": DELETING})
        if claimed is None:
            raise Conflict("文件状态已变化，请重试 (the file changed meanwhile; try again)")
        await purge(self.files, self.storage, claimed)  # objects left behind are retried by the sweep
        return True

    async def attach(self, file_ids: Sequence[str], entity: str, entity_id: str,
                     community_id: str | None = None) -> list[dict[str, Any]]:
        """Mark files as referenced by `entity`/`entity_id`; all or none. Idempotent."""
        self.scope.require()
        ids = list(dict.fromkeys(file_ids))
        docs = await self.files.get_many(ids)
        errors = FieldErrors()
        target = {"entity": entity, "id": entity_id}
        todo: list[str] = []
        for i, fid in enumerate(file_ids):
            d = docs.get(fid)
            if d is None or d["state"] == DELETING or not self._may_manage(d):
                errors.add(f"fileIds.{i}", "文件不存在 (no such file)")
            elif community_id and d["communityId"] != community_id:
                errors.add(f"fileIds.{i}", "文件属于其他社区 (the file belongs to another community)")
            elif d["state"] == ATTACHED and d.get("attachedTo") != target:
                errors.add(f"fileIds.{i}", self._attached_message(d))
            elif d["state"] == PENDING:
                errors.add(f"fileIds.{i}", "文件尚未上传完成 (upload not confirmed yet)")
            elif d["state"] == STORED and fid not in todo:
                todo.append(fid)
        errors.raise_if_any()
        done: list[str] = []
        for fid in todo:
            if await self.files.transition(fid, (STORED,), {"state": ATTACHED, "attachedTo": target}) is None:
                for undo in done:
                    await self.files.transition(undo, (ATTACHED,), {"state": STORED,
                                                                     "unattachedSince": datetime.now(UTC)},
                                                unset=("attachedTo",), extra={"attachedTo": target})
                raise Conflict("文件状态已变化，请重试 (a file changed meanwhile; try again)")
            done.append(fid)
        result = await self.files.get_many(ids)
        return [result[i] for i in ids if i in result]

    async def release(self, entity: str, entity_id: str, file_ids: Sequence[str] | None = None) -> int:
        """Stop `entity`/`entity_id` referencing its files (all, or `file_ids`); returns how many."""
        self.scope.require()
        return await self.files.release(entity, entity_id, self.scope.community_filter(), file_ids)

    # -- helpers ------------------------------------------------------------------------
    async def _upload_community(self, community_id: str | None) -> dict[str, Any]:
        pr = self.scope.require()
        cid = community_id or self.scope.community_id or pr.community_id
        if not cid:
            raise BadUserInput({"communityId": "请指定社区 (communityId is required: your account is not tied to "
                                               "one community)"})
        community = await self.ctx.loaders.by_id("regions").load(cid)
        if community is None or community.get("level") != "community" or not self.scope.covers_community(community):
            raise Forbidden("不能向此社区上传文件 (community outside your scope)")
        return community

    def _new_doc(self, file_id: str, owner_id: str, community: dict[str, Any], purpose: Purpose,
                 content_type: str, size: int, key: str, **extra: Any) -> dict[str, Any]:
        now = datetime.now(UTC)
        return {"_id": file_id, "communityId": community["_id"],
                "regionPath": [*community.get("path", []), community["_id"]], "ownerId": owner_id,
                "purpose": purpose.name, "state": PENDING, "contentType": content_type, "size": size, "key": key,
                "attachedTo": None, "unattachedSince": now, "createdAt": now, "updatedAt": now, **extra}

    async def _reserve(self, doc: dict[str, Any], field: str) -> None:
        """Insert the pending record, then check the quota including it (see module docstring)."""
        await self.files.insert(doc)
        used = await self.files.usage(doc["communityId"])
        quota = self.p.settings.storage_quota_mb * MiB
        if used > quota:
            await self.files.remove(doc["_id"])
            own = doc["size"] + doc.get("thumbSize", 0)
            raise QuotaExceeded(field, used - own, quota, own)

    async def _discard_failed_write(self, doc: dict[str, Any]) -> None:
        """Remove the record of a write that failed, and whatever part of it may have landed.

        A failed multipart upload is aborted by the SDK and a failed local rename leaves
        nothing, so the object deletes are a best effort; the record always goes.
        """
        for key in (doc["key"], doc.get("thumbKey")):
            if key:
                try:
                    await self.storage.delete(key)
                except StorageError:
                    pass
        await self.files.remove(doc["_id"])

    @staticmethod
    def _attached_message(doc: dict[str, Any]) -> str:
        a = doc.get("attachedTo") or {}
        return f"文件已被引用，请先解除关联 (attached to {a.get('entity')} {a.get('id')}; release it first)"


async def attach_files(ctx: RequestContext, file_ids: Sequence[str], entity: str, entity_id: str, *,
                       community_id: str | None = None) -> list[dict[str, Any]]:
    """For other subsystems: `entity`/`entity_id` now references these files (all or none).

    Raises BAD_USER_INPUT naming `fileIds.<i>` for files the caller may not use, that are
    not confirmed yet, belong to another community or are attached elsewhere.
    """
    return await MediaService(ctx).attach(file_ids, entity, entity_id, community_id)


async def release_files(ctx: RequestContext, entity: str, entity_id: str,
                        file_ids: Sequence[str] | None = None) -> int:
    """For other subsystems: the record no longer references these files (all when None).

    Call it when the record is deleted; released files are removed by the orphan sweep
    after `CP_ORPHAN_TTL_HOURS` unless they are attached again.
    """
    return await MediaService(ctx).release(entity, entity_id, file_ids)
