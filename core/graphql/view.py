"""The `/graphql` endpoint: picks the schema for the caller's community, builds the request
context, masks unexpected errors and speaks GraphQL over HTTP (the envelope, media types and
status codes are in `envelope`).

Errors, by where they arise:
- envelope (body, content type, parameter types, mutation over GET): `BadRequest`, 4xx;
- parse and validation: GRAPHQL_VALIDATION_FAILED (a module field of a module this community
  has not enabled: MODULE_DISABLED);
- variable coercion (`null` for `ID!`, `"abc"` for `Int!`, an unknown enum value or input
  field in `variables`): BAD_USER_INPUT with `fields[].path` = `variables.<name>…`, as Apollo
  Server does (the same mistakes written inline are validation errors: GRAPHQL_VALIDATION_FAILED);
- resolvers: the `AppError`/`ModuleError` code; the database unreachable: SERVICE_UNAVAILABLE;
  anything else is a bug: masked as INTERNAL_SERVER_ERROR with the request id, and logged.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

import orjson
import structlog
from aiohttp import web
from cross_web import HTTPException
from graphql import GraphQLError
from strawberry.aiohttp.views import GraphQLView
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET

from community_plus_sdk.errors import ModuleError, UserInputError

from community_plus.platform.access import Scope
from community_plus.platform.context import RequestContext

from community_plus.platform.db import is_unavailable
from community_plus.platform.errors import AppError, BadRequest, status_for
from community_plus.http.middleware import OPERATION, REQUEST_ID, SCOPE
from community_plus.domains.media.multipart import MultipartUploads
from community_plus.graphql import envelope
from community_plus.graphql.envelope import GRAPHQL_RESPONSE, error_response
from community_plus.graphql.extensions.idempotency import HEADER as IDEMPOTENCY_HEADER
from community_plus.graphql.extensions.idempotency import IdempotentMutations
from community_plus.graphql.extensions.persisted import PersistedQueries
from community_plus.graphql.roots import explain_unknown_root_field
from community_plus.realtime.over_http import subscription_over_http

log = structlog.get_logger("community_plus.graphql")

_VARIABLE = re.compile(r"^Variable '\$(\w+)' has invalid (?:default )?value(?: at ((?:\.\w+|\[\d+\])+))?:")
_HTTP_CODES = {401: "UNAUTHENTICATED", 403: "FORBIDDEN", 404: "NOT_FOUND", 429: "RATE_LIMITED"}


# Server-side states of a database that is restarting or electing (MongoDB error codes):
# InterruptedAtShutdown, ShutdownInProgress, PrimarySteppedDown, NotWritablePrimary,
# NotPrimaryNoSecondaryOk, NotPrimaryOrSecondary, InterruptedDueToReplStateChange.
def _locations(err: GraphQLError) -> list[dict[str, int]]:
    return [loc._asdict() for loc in err.locations or []]


RETRY_AFTER = 5
_UNAVAILABLE = {
    "DATABASE_UNAVAILABLE": "服务暂时不可用，请稍后重试 (the database is unavailable: retry in a few seconds)",
    "OVERLOADED": "服务繁忙，请稍后重试 (the server is overloaded: retry in a few seconds)",
}


def unavailable_error(request_id: str | None, err: GraphQLError | None = None,
                      reason: str = "DATABASE_UNAVAILABLE") -> dict[str, Any]:
    """A clear, retryable SERVICE_UNAVAILABLE error (no internals); `reason` says why."""
    return {"message": _UNAVAILABLE[reason],
            "locations": _locations(err) if err else [], "path": err.path if err else None,
            "extensions": {"code": "SERVICE_UNAVAILABLE", "retryAfter": RETRY_AFTER, "reason": reason,
                           "requestId": request_id}}


def unavailable_response(request: web.Request, reason: str = "DATABASE_UNAVAILABLE") -> web.Response:
    """503 with Retry-After, answered before the view runs (outage, full queue)."""
    return error_response(request, [unavailable_error(request.get(REQUEST_ID), reason=reason)], 503,
                          {"Retry-After": str(RETRY_AFTER)})


def module_error(err: GraphQLError, original: ModuleError) -> dict[str, Any]:
    """An SDK error as a GraphQL error with its stable code (and field paths)."""
    extensions: dict[str, Any] = {"code": original.code, **original.extensions}
    if isinstance(original, UserInputError):
        extensions["fields"] = [{"path": k, "message": v} for k, v in original.fields.items()]
    return {"message": original.message, "locations": _locations(err), "path": err.path, "extensions": extensions}


def variable_error(err: GraphQLError) -> dict[str, Any]:
    """A variable the client sent could not be coerced to its declared type: BAD_USER_INPUT
    naming the variable's path inside the request's `variables` (`variables.input.gender`)."""
    match = _VARIABLE.match(err.message)
    if match:
        path = f"variables.{match.group(1)}{match.group(2) or ''}"
    else:
        node = (err.nodes or [None])[0]
        variable = getattr(getattr(node, "variable", None), "name", None)
        path = f"variables.{variable.value}" if variable is not None else "variables"
    detail = err.original_error.message if isinstance(err.original_error, GraphQLError) else err.message
    return {"message": f"变量值无效 (invalid variable value at {path}: {detail})", "locations": _locations(err),
            "extensions": {"code": "BAD_USER_INPUT", "fields": [{"path": path, "message": detail}]}}


def _bad_request_of(exc: HTTPException) -> BadRequest | AppError:
    """strawberry's and cross_web's `HTTPException`s as errors with a stable code."""
    cause = exc.__cause__
    if isinstance(cause, InvalidOperationTypeError):
        return BadRequest(f"GET 请求只能执行查询 (only queries can be sent with GET: {exc.reason}; use POST)",
                          http_status=405)
    if isinstance(cause, CannotGetOperationTypeError):
        return BadRequest(f"找不到要执行的操作 (cannot choose the operation to run: {exc.reason}; check "
                          "operationName)", field="operationName")
    if exc.reason == "No GraphQL query found in the request":
        return BadRequest("缺少 query 参数 (no GraphQL query in the request: send 'query', or a persisted "
                          "query's hash in extensions.persistedQuery)", field="query")
    error = BadRequest(exc.reason, http_status=exc.status_code)
    if exc.status_code in _HTTP_CODES:
        error.extensions["code"] = _HTTP_CODES[exc.status_code]
    return error


class CommunityGraphQLView(MultipartUploads, GraphQLView):
    """One instance per schema (that is, per distinct set of enabled modules)."""

    def __init__(self, schema, *, platform, metrics, dev: bool, module_set: frozenset[str],
                 persisted: PersistedQueries | None = None, idempotency: IdempotentMutations | None = None) -> None:
        super().__init__(schema, graphql_ide="graphiql" if dev else None, allow_queries_via_get=True,
                         multipart_uploads_enabled=True)  # CSRF-checked, streamed: see media.multipart
        self.platform = platform
        self.metrics = metrics
        self.module_set = module_set
        self.persisted = persisted
        self.idempotency = idempotency

    @property
    def graphql_ide_html(self) -> str:
        """strawberry's GraphiQL page, with its scripts served from here (works offline)."""
        return offline_graphiql(super().graphql_ide_html)

    def should_render_graphql_ide(self, request) -> bool:  # type: ignore[no-untyped-def]
        """GraphiQL in dev, for a browser (`Accept: text/html`) asking without a query; otherwise
        (prod, or `*/*` from a script) a GET without a query is a plain 400 BAD_REQUEST."""
        return (self.graphql_ide is not None and request.method == "GET" and not request.query_params.get("query")
                and "text/html" in request.headers.get("accept", ""))

    def is_websocket_request(self, request: web.Request):  # type: ignore[no-untyped-def, override]
        """strawberry builds a `WebSocketResponse` to ask (twice per request); without an
        `Upgrade: websocket` header aiohttp's answer is no, so ask only with one."""
        if request.headers.get("Upgrade", "").lower().strip() != "websocket":
            return False
        return super().is_websocket_request(request)

    async def get_context(self, request: web.Request, response: Any) -> RequestContext:  # type: ignore[override]
        return RequestContext(platform=self.platform, scope=request[SCOPE], request_id=request[REQUEST_ID],
                              request=request, response=response, module_set=self.module_set)

    async def run(self, request, context=UNSET, root_value=UNSET):  # type: ignore[no-untyped-def]
        """Every refusal before execution as a GraphQL error response with a stable code."""
        try:
            return await super().run(request, context, root_value)
        except HTTPException as exc:
            error: AppError = _bad_request_of(exc)
        except AppError as exc:
            error = exc
        except web.HTTPClientError as exc:  # aiohttp's own refusals while reading the body (413)
            error = BadRequest(f"请求被拒绝 (request refused: {exc.text or exc.reason})", http_status=exc.status)
        status = getattr(error, "http_status", None) or status_for(error.extensions.get("code"))
        headers = {"Allow": "POST"} if status == 405 else {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return error_response(request, [error.formatted], status, headers)

    async def parse_http_body(self, request_adapter) -> GraphQLRequestData:  # type: ignore[override]
        """The envelope, checked field by field (see `envelope`); batches are refused."""
        request: web.Request = request_adapter.request
        if request_adapter.method == "GET":
            params = request.query
            data: Any = {k: params[k] for k in ("query", "operationName") if params.get(k)}
            for name in ("variables", "extensions"):
                if params.get(name):
                    data[name] = envelope.decode_param(name, params[name])
        elif request.headers.get("Content-Type") is None:
            raise BadRequest("缺少 Content-Type 请求头 (missing Content-Type: send application/json)",
                             http_status=415)
        elif request.content_type == "application/json":
            if (request.charset or "utf-8").lower().replace("_", "-") not in ("utf-8", "utf8"):
                raise BadRequest(f"只接受 UTF-8 编码 (charset {request.charset!r} is not supported: send UTF-8)",
                                 http_status=415)
            data = envelope.decode_body(await request_adapter.get_body())
        elif request.content_type == "multipart/form-data":
            data = await self.parse_multipart(request_adapter)
        else:
            raise BadRequest(f"不支持的 Content-Type (unsupported Content-Type {request.content_type!r}: send "
                             "application/json, or multipart/form-data for uploads)", http_status=415)
        data = envelope.check_params(data)
        return GraphQLRequestData(query=data.get("query"), variables=data.get("variables"),
                                  operation_name=data.get("operationName"), extensions=data.get("extensions"),
                                  protocol="http")

    async def execute_single(self, request, request_adapter, sub_response, context, root_value, request_data):
        start = time.perf_counter()
        name = request_data.operation_name
        request[OPERATION] = name[:100] if isinstance(name, str) else None
        status = "ok"
        if (refusal := subscription_over_http(request_data.query, request_data.operation_name)) is not None:
            return ExecutionResult(data=None, errors=[refusal])
        if self.persisted is not None:
            refusal = await self.persisted.apply(request_data)
            if refusal is not None:
                self.metrics.observe_operation(name, "refused", time.perf_counter() - start)
                return ExecutionResult(data=None, errors=[refusal])
        try:
            execute = lambda: super(CommunityGraphQLView, self).execute_single(  # noqa: E731
                request, request_adapter, sub_response, context, root_value, request_data)
            if self.idempotency is not None:
                principal = request[SCOPE].principal
                result = await self.idempotency.run(
                    request.headers.get(IDEMPOTENCY_HEADER), principal.user_id if principal else None, request_data,
                    execute, lambda err: self._error(request, err))
            else:
                result = await execute()
            if result.errors:
                status = "error"
            return result
        except Exception:
            status = "error"
            raise
        finally:
            self.metrics.observe_operation(name, status, time.perf_counter() - start)

    async def process_result(self, request: web.Request, result: ExecutionResult) -> GraphQLHTTPResponse:
        data: GraphQLHTTPResponse = {"data": result.data}
        if result.errors:
            data["errors"] = [self._error(request, err) for err in result.errors]
        if result.extensions:
            data["extensions"] = result.extensions
        return data

    def _error(self, request: web.Request, err: GraphQLError) -> dict[str, Any]:
        original = err.original_error
        if isinstance(original, ModuleError):  # raised by a plugin through the SDK
            return module_error(err, original)
        if original is not None and is_unavailable(original):
            return unavailable_error(request[REQUEST_ID], err)
        if isinstance(original, AppError):
            return err.formatted
        if err.path is None and isinstance(original, GraphQLError):  # variable coercion, before execution
            return variable_error(err)
        if original is not None:
            log.error("unexpected error in resolver", path=err.path, exc_info=original, request_id=request[REQUEST_ID])
            return {"message": f"服务器内部错误 (internal error; request id {request[REQUEST_ID]})",
                    "locations": _locations(err), "path": err.path,
                    "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": request[REQUEST_ID]}}
        formatted = err.formatted  # parse and validation errors, limits, persisted-query refusals
        if formatted.get("message", "").startswith("Syntax Error: Document contains more than"):
            formatted["extensions"] = {"code": "QUERY_TOO_COMPLEX", "measure": "tokens"}
        formatted.setdefault("extensions", {}).setdefault("code", "GRAPHQL_VALIDATION_FAILED")
        explain_unknown_root_field(formatted, self.platform.modules, self.schema, self.module_set)
        return formatted

    async def get_sub_response(self, request: web.Request) -> web.Response:
        response = _SubResponse()
        response.wants_graphql_response = envelope.wants_graphql_response(request)
        return response

    def create_response(self, response_data, sub_response: web.Response) -> web.Response:
        graphql_response = getattr(sub_response, "wants_graphql_response", False)
        if envelope.is_request_error(response_data):
            errors = response_data["errors"]
            if graphql_response:  # the spec: a request error has no data entry, and a 4xx (or 5xx) status
                response_data = {k: v for k, v in response_data.items() if k != "data"}
                sub_response.set_status(envelope.request_error_status(errors))
            elif all(e.get("extensions", {}).get("code") == "SERVICE_UNAVAILABLE" for e in errors):
                sub_response.set_status(503)
        elif isinstance(response_data, dict) and response_data.get("data") is None and response_data.get("errors") \
                and all(e.get("extensions", {}).get("code") == "SERVICE_UNAVAILABLE" for e in response_data["errors"]):
            sub_response.set_status(503)
        if sub_response.status == 503:
            sub_response.headers["Retry-After"] = str(RETRY_AFTER)
        sub_response.body = encode_body(response_data)  # bytes: no decode and re-encode as strawberry does
        sub_response.content_type = GRAPHQL_RESPONSE if graphql_response else "application/json"
        sub_response.charset = "utf-8"
        return sub_response

    def encode_json(self, data: object) -> str:
        """Text, as strawberry's WebSocket and streaming transports send it (text frames)."""
        return encode_body(data).decode()


def encode_body(data: object) -> bytes:
    """JSON with orjson (several times faster than `json` on a page of rows); what orjson
    refuses (an unpaired surrogate echoed in an error path, an integer beyond 64 bits) the
    standard library writes, escaped, as before."""
    try:
        return orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS)
    except (orjson.JSONEncodeError, TypeError):
        return json.dumps(data, separators=(",", ":")).encode()


GRAPHIQL_ASSETS = "/graphiql-assets"
_CDN = {
    "https://unpkg.com/react@18.2.0/umd/react.production.min.js": "react.production.min.js",
    "https://unpkg.com/react-dom@18.2.0/umd/react-dom.production.min.js": "react-dom.production.min.js",
    "https://unpkg.com/js-cookie@3.0.5/dist/js.cookie.min.js": "js.cookie.min.js",
    "https://unpkg.com/graphiql@3.8.3/graphiql.min.css": "graphiql.min.css",
    "https://unpkg.com/graphiql@3.8.3/graphiql.min.js": "graphiql.min.js",
    "https://unpkg.com/@graphiql/plugin-explorer@1.0.2/dist/style.css": "plugin-explorer.css",
    "https://unpkg.com/@graphiql/plugin-explorer@1.0.2/dist/index.umd.js": "plugin-explorer.umd.js",
}


def offline_graphiql(html: str) -> str:
    for url, name in _CDN.items():
        html = html.replace(url, f"{GRAPHIQL_ASSETS}/{name}")
    return html


class _SubResponse(web.Response):
    wants_graphql_response = False


def scope_error_response(request: web.Request, err: AppError) -> web.Response:
    """A refusal of the community context (X-Community-Id) before the view runs."""
    return error_response(request, [err.formatted])


__all__ = ["CommunityGraphQLView", "Scope", "scope_error_response", "unavailable_response"]
