"""HTTP routes: `POST /upload` for `wx.uploadFile`, and the local backend's signed URLs.

`POST /upload` takes `multipart/form-data` with one file part (wx.uploadFile's `name`,
usually `file`) and string fields: `purpose` (required) and `communityId` (staff who are
not tied to one community; `X-Community-Id` works too). It authenticates with the bearer
token (no cookies, hence no CSRF exposure) and answers JSON, which wx.uploadFile hands to
the mini-program as a string: `{"id", "purpose", "contentType", "size", "name", "url",
"thumbnailUrl", "createdAt"}`, or `{"errors": [...]}` shaped like GraphQL errors with
`extensions.code` and an HTTP status (400, 401, 403, 413, 503; 503 carries `retryAfter`
when the image workers are busy).

The body is streamed to a temp file chunk by chunk (`spool`), so a 50 MB upload costs about
1 MiB of memory. Send the `purpose` field before the file and an oversized file is refused
as soon as it crosses that purpose's limit; otherwise the largest limit applies while
receiving and the purpose's limit right after.

The local backend serves `GET /media/<key>?…&sig=` (download) and `PUT /media/<key>?…&sig=`
(the presigned-upload equivalent); both check the HMAC signature and expiry only — the URL
is the credential, exactly like an S3 presigned URL.
"""

from __future__ import annotations

from typing import Any

from aiohttp import BodyPartReader, hdrs, web

from community_plus.platform.context import RequestContext
from community_plus.platform.errors import AppError, BadUserInput
from community_plus.domains.media.local_storage import LocalStorage
from community_plus.domains.media.policy import PURPOSES, MiB
from community_plus.domains.media.service import MediaService
from community_plus.domains.media.spool import FileTooLarge, ReceivedFile, read_text_part
from community_plus.keys import MEDIA, REQUEST_ID, SCOPE
from community_plus.domains.media.storage import StorageError

STATUS = {"BAD_USER_INPUT": 400, "UNAUTHENTICATED": 401, "FORBIDDEN": 403, "NOT_FOUND": 404, "CONFLICT": 409,
          "RATE_LIMITED": 429, "SERVICE_UNAVAILABLE": 503, "STORAGE_UNAVAILABLE": 503}


def add_routes(app: web.Application, local: bool) -> None:
    app.router.add_post("/upload", upload)
    if local:  # keys start with files/ or thumbs/: URLs are /media/<key> (/files/<key> kept for old links)
        for prefix in ("/media", "/files"):
            app.router.add_get(prefix + "/{key:.+}", get_local_object)
            app.router.add_put(prefix + "/{key:.+}", put_local_object)


def error_response(exc: AppError, request: web.Request) -> web.Response:
    code = (exc.extensions or {}).get("code", "INTERNAL_SERVER_ERROR")
    status = getattr(exc, "http_status", None) or STATUS.get(code, 400)
    response = web.json_response({"errors": [exc.formatted]}, status=status)
    if status == 401:
        response.headers[hdrs.WWW_AUTHENTICATE] = "Bearer"
    return response


def file_json(service: MediaService, doc: dict[str, Any]) -> dict[str, Any]:
    url, thumb = service.url(doc), service.url(doc, thumbnail=True)
    return {"id": doc["_id"], "purpose": doc["purpose"], "contentType": doc["contentType"], "size": doc["size"],
            "name": doc.get("name"), "url": url.url if url else None, "thumbnailUrl": thumb.url if thumb else None,
            "createdAt": doc["createdAt"].isoformat()}


async def upload(request: web.Request) -> web.Response:
    """`wx.uploadFile` target: stream the file part to disk, then check and store it."""
    state = request.app[MEDIA]
    scope = request[SCOPE]
    ctx = RequestContext(platform=state.require_platform(), scope=scope, request_id=request[REQUEST_ID],
                         request=request)
    received: ReceivedFile | None = None
    try:
        scope.require()
        if request.content_type != "multipart/form-data":
            raise BadUserInput({"file": "请以 multipart/form-data 上传 (send multipart/form-data, as wx.uploadFile does)"})
        if request.content_length is not None and request.content_length > state.spool.max_bytes + MiB:
            raise FileTooLarge(state.spool.max_bytes)
        fields: dict[str, str] = {}
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader):
                raise BadUserInput({"file": "不支持嵌套的 multipart (nested multipart is not supported)"})
            if part.filename is None:
                fields[part.name or ""] = await read_text_part(part)
                continue
            if received is not None:
                raise BadUserInput({"file": "每次只能上传一个文件 (one file per request)"})
            purpose = PURPOSES.get(fields.get("purpose", ""))
            received = await state.spool.receive(part.read_chunk, purpose.max_bytes if purpose else None,
                                                 filename=part.filename,
                                                 declared_type=part.headers.get(hdrs.CONTENT_TYPE))
        if received is None:
            raise BadUserInput({"file": "缺少文件 (no file part: send the file under the field 'file')"})
        service = MediaService(ctx)
        community_id = fields.get("communityId") or request.headers.get("X-Community-Id")
        doc = await service.store(received, fields.get("purpose"), community_id)
        return web.json_response(file_json(service, doc))
    except AppError as exc:
        return error_response(exc, request)
    except ValueError as exc:  # malformed multipart body
        return error_response(BadUserInput({"file": f"无法解析上传内容 (malformed multipart body: {exc})"}), request)
    finally:
        if received is not None:
            received.discard()


def _local_storage(request: web.Request) -> LocalStorage:
    storage = request.app[MEDIA].require_platform().storage
    assert isinstance(storage, LocalStorage)
    return storage


def _refused(why: str) -> web.Response:
    return web.json_response({"errors": [{"message": f"链接无效或已过期 (invalid or expired link: {why})",
                                          "extensions": {"code": "FORBIDDEN"}}]}, status=403)


async def get_local_object(request: web.Request) -> web.StreamResponse:
    storage = _local_storage(request)
    key = request.match_info["key"]
    if why := storage.verify("GET", key, dict(request.query)):
        return _refused(why)
    try:
        path = storage.path_of(key)
    except StorageError:
        raise web.HTTPNotFound() from None
    if not path.is_file():
        raise web.HTTPNotFound()
    return web.FileResponse(path, headers={
        hdrs.CONTENT_TYPE: request.query["ct"],
        hdrs.CACHE_CONTROL: "private, max-age=300",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
    })


async def put_local_object(request: web.Request) -> web.Response:
    storage = _local_storage(request)
    key = request.match_info["key"]
    if why := storage.verify("PUT", key, dict(request.query)):
        return _refused(why)
    limit = int(request.query["max"])
    received: ReceivedFile | None = None
    try:
        if request.content_length is not None and request.content_length > limit:
            raise FileTooLarge(limit, field="body")
        received = await request.app[MEDIA].spool.receive(request.content.read, limit)
        await storage.put_file(key, received.path, received.size, "application/octet-stream")
    except FileTooLarge as exc:
        return error_response(exc, request)
    except StorageError:
        raise web.HTTPServiceUnavailable() from None
    finally:
        if received is not None:
            received.discard()
    return web.Response(status=200)
