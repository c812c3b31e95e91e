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

Every malformed form is a 400 BAD_REQUEST naming the problem (`operations_with_files`):
`operations` or `map` missing or not JSON, `operations` not one object, `map` not an object
of lists of paths, a path that does not lead to a `null` placeholder inside `variables`, a
map entry without its file part, or a file part that the map does not mention.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from aiohttp import BodyPartReader, web
from cross_web import AiohttpHTTPRequestAdapter, FormData

from community_plus.platform.errors import BadRequest, Unauthenticated
from community_plus.domains.media.policy import MAX_UPLOAD_BYTES, MiB
from community_plus.domains.media.spool import ReceivedFile, Spool, read_text_part
from community_plus.keys import MEDIA, SCOPE

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
                    raise BadRequest("multipart 请求体格式错误 (malformed multipart body: every part needs a "
                                     "name, and nested multipart parts are not supported)")
                if part.filename is None:
                    form[part.name] = await read_text_part(part, limit=MiB)
                    continue
                file = await spool.receive(part.read_chunk, None, filename=part.filename,
                                           declared_type=part.headers.get("Content-Type"))
                received.append(file)
                files[part.name] = file
        except (AssertionError, ValueError, KeyError) as exc:  # aiohttp's parser: no boundary, garbled, truncated
            raise BadRequest("multipart 请求体格式错误 (malformed multipart body)") from exc
        self._form_data = FormData(files=files, form=form)
        return self._form_data


def _form_json(form: dict[str, str], name: str) -> Any:
    if name not in form:
        raise BadRequest(f"multipart 请求缺少 {name} 字段 (the multipart request has no '{name}' field: see the "
                         "GraphQL multipart request spec)", field=name)
    try:
        return json.loads(form[name])
    except (ValueError, RecursionError) as exc:
        raise BadRequest(f"multipart 字段 {name} 不是合法的 JSON (the '{name}' field is not valid JSON)",
                         field=name) from exc


def operations_with_files(form: dict[str, str], files: dict[str, Any]) -> dict[str, Any]:
    """`operations` with each file put where `map` says (its `null` placeholders in `variables`)."""
    operations = _form_json(form, "operations")
    files_map = _form_json(form, "map")
    if isinstance(operations, list):
        raise BadRequest("不支持批量请求 (batched multipart operations are not supported: send one object)",
                         field="operations")
    if not isinstance(operations, dict):
        raise BadRequest("operations 必须是 JSON 对象 (the 'operations' field must be a JSON object)",
                         field="operations")
    if not isinstance(files_map, dict) or not all(
            isinstance(paths, list) and paths and all(isinstance(p, str) for p in paths)
            for paths in files_map.values()):
        raise BadRequest("map 必须是 {文件字段: [路径…]} (the 'map' field must be an object mapping each file "
                         "field name to a non-empty list of paths such as \"variables.file\")", field="map")
    for name, paths in files_map.items():
        if name not in files:
            raise BadRequest(f"map 中的文件 {name} 不存在 (map names file field '{name}', but the request has no "
                             "such file part)", field="map")
        for path in paths:
            _place(operations, path, files[name])
    unmapped = sorted(set(files) - set(files_map))
    if unmapped:
        raise BadRequest(f"文件未在 map 中登记 (file part(s) {', '.join(map(repr, unmapped))} not named in 'map')",
                         field="map")
    return operations


def _place(operations: dict[str, Any], path: str, file: Any) -> None:
    """Put `file` at `path` ("variables.input.files.0"), which must hold a null placeholder."""
    keys = path.split(".")
    problem = f"map 路径 {path!r} 无效 (map path {path!r} must lead to a null placeholder inside 'variables')"
    if len(keys) < 2 or keys[0] != "variables":
        raise BadRequest(problem, field="map")
    target: Any = operations
    for i, key in enumerate(keys):
        last = i == len(keys) - 1
        if isinstance(target, dict) and key in target:
            if last:
                if target[key] is not None:
                    raise BadRequest(problem, field="map")
                target[key] = file
                return
            target = target[key]
        elif isinstance(target, list) and key.isdigit() and int(key) < len(target):
            if last:
                if target[int(key)] is not None:
                    raise BadRequest(problem, field="map")
                target[int(key)] = file
                return
            target = target[int(key)]
        else:
            raise BadRequest(problem, field="map")


class MultipartUploads:
    """Mixin for the GraphQL view (put it before strawberry's `GraphQLView` in the bases)."""

    request_adapter_class = StreamingRequestAdapter

    async def parse_multipart(self, request):  # type: ignore[no-untyped-def]
        """Refuse before reading the body: no CSRF header (400), or no valid token (401)."""
        if not has_csrf_header(request.headers):
            raise BadRequest(CSRF_MESSAGE)
        scope = request.request[SCOPE]
        if scope.principal is None:  # every upload needs a principal; do not spool for nobody
            raise scope.auth_error or Unauthenticated("请先登录再上传文件 (uploads require a valid bearer token)")
        form_data = await request.get_form_data()
        return operations_with_files(dict(form_data.form), dict(form_data.files))

    async def __call__(self, request: web.Request) -> web.StreamResponse:
        try:
            return await super().__call__(request)  # type: ignore[misc]
        finally:
            for file in request.get(UPLOADS, ()):
                file.discard()
