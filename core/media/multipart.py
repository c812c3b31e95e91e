"""The GraphQL multipart request spec on `/graphql`, streamed to disk and CSRF-safe.

Strawberry's stock aiohttp adapter reads every file part into a `BytesIO`; ours spools each
file to a temp file (`spool`), so `uploadFile` costs the same ~1 MiB of memory as
`POST /upload`. Resolvers receive a `ReceivedFile`; temp files are removed when the request
ends.

CSRF: a browser may send a cross-site `multipart/form-data` POST without a CORS preflight
(it is a "simple" request). As Apollo Server and strawberry recommend, a multipart request
must therefore carry a non-empty header a cross-site form cannot set —
`Apollo-Require-Preflight`, `X-Apollo-Operation-Name`, `GraphQL-Preflight` or
`X-Requested-With` — or it is refused with 400 before its body is read. JSON requests need
no header: `application/json` always triggers a preflight. An anonymous multipart request is
refused (401) before its body is read too: no upload path accepts anonymous files.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from aiohttp import BodyPartReader, web
from cross_web import AiohttpHTTPRequestAdapter, FormData, HTTPException

from ..errors import AppError
from ..http import SCOPE
from .policy import MAX_UPLOAD_BYTES, MiB
from .spool import ReceivedFile, Spool, read_text_part
from .state import MEDIA

CSRF_HEADERS = ("Apollo-Require-Preflight", "X-Apollo-Operation-Name", "GraphQL-Preflight", "X-Requested-With")
CSRF_MESSAGE = ("multipart 请求缺少防 CSRF 请求头 (multipart requests must carry a non-empty "
                "Apollo-Require-Preflight or X-Requested-With header; CSRF protection)")
UPLOADS = web.RequestKey("media_graphql_uploads", list)


def has_csrf_header(headers) -> bool:
    return any(headers.get(h, "").strip() for h in CSRF_HEADERS)


class StreamingRequestAdapter(AiohttpHTTPRequestAdapter):
    """Like strawberry's adapter, but file parts go to temp files, never to memory."""

    async def get_form_data(self) -> FormData:
        if self._form_data is not None:
            return self._form_data
        request = self.request
        state = request.app.get(MEDIA)
        spool = state.spool if state else Spool(Path(tempfile.gettempdir()), MAX_UPLOAD_BYTES)
        received: list[ReceivedFile] = []
        request[UPLOADS] = received
        form: dict[str, str] = {}
        files: dict[str, ReceivedFile] = {}
        try:
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                if not isinstance(part, BodyPartReader) or not part.name:
                    raise HTTPException(400, "Unable to parse the multipart body")
                if part.filename is None:
                    form[part.name] = await read_text_part(part, limit=MiB)
                    continue
                file = await spool.receive(part.read_chunk, None, filename=part.filename,
                                           declared_type=part.headers.get("Content-Type"))
                received.append(file)
                files[part.name] = file
        except AppError as exc:
            raise HTTPException(getattr(exc, "http_status", 400), exc.message) from exc
        self._form_data = FormData(files=files, form=form)
        return self._form_data


class MultipartUploads:
    """Mixin for the GraphQL view (put it before strawberry's `GraphQLView` in the bases)."""

    request_adapter_class = StreamingRequestAdapter

    async def parse_multipart(self, request):  # type: ignore[no-untyped-def]
        """Refuse before reading the body: no CSRF header (400), or no valid token (401)."""
        if not has_csrf_header(request.headers):
            raise HTTPException(400, CSRF_MESSAGE)
        if request.request[SCOPE].principal is None:  # every upload needs a principal; do not spool for nobody
            raise HTTPException(401, "请先登录再上传文件 (uploads require a valid bearer token)")
        return await super().parse_multipart(request)  # type: ignore[misc]

    async def __call__(self, request: web.Request) -> web.StreamResponse:
        try:
            return await super().__call__(request)  # type: ignore[misc]
        finally:
            for file in request.get(UPLOADS, ()):
                file.discard()
