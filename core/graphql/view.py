"""The `/graphql` endpoint: picks the schema for the caller's community, builds the request
context, masks unexpected errors and speaks GraphQL over HTTP."""

from __future__ import annotations

import re
import time
from typing import Any

import structlog
from aiohttp import web
from graphql import GraphQLError
from pymongo.errors import ConnectionFailure
from strawberry.aiohttp.views import GraphQLView
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult

from ..access import Scope
from ..context import RequestContext
from community_plus_sdk.errors import ModuleError, UserInputError

from ..errors import AppError
from ..http import REQUEST_ID, SCOPE
from .persisted import PersistedQueries
from ..media.multipart import MultipartUploads
from ..realtime.over_http import subscription_over_http

log = structlog.get_logger("community_plus.graphql")

GRAPHQL_RESPONSE = "application/graphql-response+json"
_UNKNOWN_FIELD = re.compile(r"^Cannot query field '(\w+)' on type '(?:Query|Mutation|Subscription)'")


def _error_dict(err: GraphQLError) -> dict[str, Any]:
    return err.formatted


def unavailable_error(request_id: str, err: GraphQLError | None = None) -> dict[str, Any]:
    """The database is unreachable: a clear, retryable error (no internals)."""
    return {"message": "服务暂时不可用，请稍后重试 (the database is unavailable: retry in a few seconds)",
            "locations": [loc._asdict() for loc in (err.locations if err else None) or []],
            "path": err.path if err else None,
            "extensions": {"code": "SERVICE_UNAVAILABLE", "retryAfter": 5, "requestId": request_id}}


def module_error(err: GraphQLError, original: ModuleError) -> dict[str, Any]:
    """An SDK error as a GraphQL error with its stable code (and field paths)."""
    extensions: dict[str, Any] = {"code": original.code, **original.extensions}
    if isinstance(original, UserInputError):
        extensions["fields"] = [{"path": k, "message": v} for k, v in original.fields.items()]
    return {"message": original.message, "locations": [loc._asdict() for loc in err.locations or []],
            "path": err.path, "extensions": extensions}


class CommunityGraphQLView(MultipartUploads, GraphQLView):
    """One instance per schema (that is, per distinct set of enabled modules)."""

    def __init__(self, schema, *, platform, metrics, dev: bool, module_set: frozenset[str],
                 persisted: PersistedQueries | None = None) -> None:
        super().__init__(schema, graphql_ide="graphiql" if dev else None, allow_queries_via_get=True,
                         multipart_uploads_enabled=True)  # CSRF-checked, streamed: see media.multipart
        self.platform = platform
        self.metrics = metrics
        self.module_set = module_set
        self.persisted = persisted

    @property
    def graphql_ide_html(self) -> str:
        """strawberry's GraphiQL page, with its scripts served from here (works offline)."""
        return offline_graphiql(super().graphql_ide_html)

    async def get_context(self, request: web.Request, response: Any) -> RequestContext:  # type: ignore[override]
        return RequestContext(platform=self.platform, scope=request[SCOPE], request_id=request[REQUEST_ID],
                              request=request, response=response, module_set=self.module_set)

    async def execute_single(self, request, request_adapter, sub_response, context, root_value, request_data):
        start = time.perf_counter()
        name = request_data.operation_name or "anonymous"
        status = "ok"
        if (refusal := subscription_over_http(request_data.query, request_data.operation_name)) is not None:
            return ExecutionResult(data=None, errors=[refusal])
        if self.persisted is not None:
            refusal = await self.persisted.apply(request_data)
            if refusal is not None:
                self.metrics.observe_operation(name, "refused", time.perf_counter() - start)
                return ExecutionResult(data=None, errors=[refusal])
        try:
            result = await super().execute_single(request, request_adapter, sub_response, context, root_value,
                                                  request_data)
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
            errors = []
            for err in result.errors:
                original = err.original_error
                if isinstance(original, ModuleError):  # raised by a plugin through the SDK
                    errors.append(module_error(err, original))
                    continue
                if isinstance(original, ConnectionFailure):
                    errors.append(unavailable_error(request[REQUEST_ID], err))
                    continue
                if original is not None and not isinstance(original, AppError):
                    log.error("unexpected error in resolver", path=err.path, exc_info=original,
                              request_id=request[REQUEST_ID])
                    errors.append({
                        "message": f"服务器内部错误 (internal error; request id {request[REQUEST_ID]})",
                        "locations": [loc._asdict() for loc in err.locations or []],
                        "path": err.path,
                        "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": request[REQUEST_ID]},
                    })
                else:
                    formatted = _error_dict(err)
                    if original is None and formatted.get("message", "").startswith("Syntax Error: Document contains more than"):
                        formatted["extensions"] = {"code": "QUERY_TOO_COMPLEX", "measure": "tokens"}
                    if original is None:  # parse/validation errors
                        formatted.setdefault("extensions", {}).setdefault("code", "GRAPHQL_VALIDATION_FAILED")
                        self._explain_disabled_module(formatted)
                    errors.append(formatted)
            data["errors"] = errors
        if result.extensions:
            data["extensions"] = result.extensions
        return data

    def _explain_disabled_module(self, formatted: dict[str, Any]) -> None:
        """A field of a module this community has not enabled: say so (MODULE_DISABLED)."""
        match = _UNKNOWN_FIELD.match(formatted.get("message", ""))
        registry = self.platform.extras.get("plugins")
        if match and registry is not None and match.group(1) in registry.field_owner:
            module = registry.field_owner[match.group(1)]
            formatted["message"] = (f"模块 {module} 未在本社区启用 (module {module} is not enabled in this community; "
                                    f"field '{match.group(1)}')")
            formatted["extensions"] = {"code": "MODULE_DISABLED", "module": module}

    async def get_sub_response(self, request: web.Request) -> web.Response:
        response = _SubResponse()
        response.wants_graphql_response = GRAPHQL_RESPONSE in request.headers.get("Accept", "")
        return response

    def create_response(self, response_data, sub_response: web.Response) -> web.Response:
        response = super().create_response(response_data, sub_response)
        errors = response_data.get("errors") if isinstance(response_data, dict) else None
        if errors and response_data.get("data") is None and all(
                e.get("extensions", {}).get("code") == "SERVICE_UNAVAILABLE" for e in errors):
            response.set_status(503)
            response.headers["Retry-After"] = "5"
        if getattr(sub_response, "wants_graphql_response", False):
            response.content_type = GRAPHQL_RESPONSE
            if isinstance(response_data, dict) and response_data.get("data") is None and response_data.get("errors"):
                if all(e.get("extensions", {}).get("code") in ("GRAPHQL_VALIDATION_FAILED", "MODULE_DISABLED")
                       for e in response_data["errors"]):
                    response.set_status(400)
        return response



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


def scope_error_response(err: AppError) -> web.Response:
    return web.json_response({"data": None, "errors": [err.formatted]})


__all__ = ["CommunityGraphQLView", "Scope", "scope_error_response"]
