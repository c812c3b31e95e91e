"""The GraphQL-over-HTTP envelope (https://graphql.github.io/graphql-over-http/draft/):
what a request may look like, which media type the answer has, and the status codes.

Everything here is under the client's control, so every mistake is a `BadRequest`
(`extensions.code = BAD_REQUEST`) with the status the spec prescribes, never a 5xx:

- `POST` takes `application/json` (UTF-8; any other charset is 415) or the GraphQL multipart
  request spec (`media.multipart`); anything else, or no `Content-Type`, is 415.
- The body (or, for `GET`, the URL parameters) is one JSON object: `query` a string,
  `operationName` a string, `variables` and `extensions` objects, each optional or null.
  Batches (a JSON array) are not supported: 400. Bodies that are not JSON or not UTF-8: 400.
- Mutations over `GET`: 405 with `Allow: POST`.

Media type: `negotiate()` honours `Accept` with q-values: `application/graphql-response+json`
when the client names it, `application/json` for `*/*`, `application/*`, no `Accept` or an
`Accept` we cannot satisfy (the spec's "legacy watershed" allows answering JSON then).

Request errors (nothing was executed: envelope, parse, validation, variable coercion,
persisted-query refusals, complexity limits) are answered without a `data` entry and with a
4xx status under `application/graphql-response+json`; under `application/json` GraphQL-level
request errors keep HTTP 200 and `"data": null` (the spec allows 200 there, and existing
mini-program clients read `data`), while envelope errors are 4xx in both.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from community_plus.platform.errors import BadRequest, status_for

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
HINT = "expected {query, operationName?, variables?, extensions?}"


def negotiate(accept: str | None) -> str:
    """The media type to answer with for this `Accept` header."""
    if not accept or not accept.strip():
        return JSON
    best: dict[str, tuple[float, int]] = {}  # media type → (q, specificity of the range that matched)
    for item in accept.split(","):
        media_range, *params = (p.strip() for p in item.split(";"))
        media_range = media_range.lower()
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        for candidate in (GRAPHQL_RESPONSE, JSON):
            specificity = _matches(media_range, candidate)
            if specificity and specificity >= best.get(candidate, (0.0, 0))[1]:
                best[candidate] = (q, specificity)
    scored = [(q, spec, candidate == GRAPHQL_RESPONSE, candidate) for candidate, (q, spec) in best.items() if q > 0]
    if not scored:
        return JSON
    return max(scored)[3]


def _matches(media_range: str, candidate: str) -> int:
    """0 when `media_range` does not cover `candidate`; 2 for an exact match, 1 for a wildcard.

    Wildcards (`*/*`, `application/*`) stand for the traditional application/json (the spec;
    graphql-http's audit 47DE): graphql-response+json is chosen only when named.
    """
    if media_range == candidate:
        return 2
    if media_range in ("*/*", "application/*"):
        return 1 if candidate == JSON else 0
    return 0


def wants_graphql_response(request: web.Request) -> bool:
    return negotiate(request.headers.get("Accept")) == GRAPHQL_RESPONSE


def decode_body(body: bytes) -> Any:
    """The JSON document of a request body (400 when empty, not UTF-8 or not JSON)."""
    if not body.strip():
        raise BadRequest(f"请求体为空 (the request body is empty; {HINT})")
    try:
        return json.loads(body.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise BadRequest("请求体不是 UTF-8 编码 (the request body is not valid UTF-8)") from exc
    except (ValueError, RecursionError) as exc:
        raise BadRequest(f"请求体不是合法的 JSON (the request body is not valid JSON: {_reason(exc)})") from exc


def decode_param(name: str, value: str) -> Any:
    """A JSON-encoded URL parameter (`variables`, `extensions`) of a GET request."""
    try:
        return json.loads(value)
    except (ValueError, RecursionError) as exc:
        raise BadRequest(f"URL 参数 {name} 不是合法的 JSON (the '{name}' parameter is not valid JSON: "
                         f"{_reason(exc)})") from exc


def _reason(exc: Exception) -> str:
    return exc.msg if isinstance(exc, json.JSONDecodeError) else "nested too deeply"


def check_params(data: Any) -> dict[str, Any]:
    """The envelope as a dict, its four fields checked; `BadRequest` names the first wrong one."""
    if isinstance(data, list):
        raise BadRequest("不支持批量请求 (batched requests are not supported: send one JSON object per request)")
    if not isinstance(data, dict):
        raise BadRequest(f"请求必须是一个 JSON 对象 (the request must be a JSON object, {HINT})")
    for name, kind, label in (("query", str, "a string"), ("operationName", str, "a string"),
                              ("variables", dict, "an object"), ("extensions", dict, "an object")):
        value = data.get(name)
        if value is not None and not isinstance(value, kind):
            raise BadRequest(f"参数 {name} 的类型错误 (the '{name}' parameter must be {label} or null, "
                             f"not {_json_type(value)})", field=name)
    return data


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return {str: "a string", list: "an array", dict: "an object"}.get(type(value), type(value).__name__)


def is_request_error(response_data: Any) -> bool:
    """Nothing was executed: no data, and no error belongs to a field (none has a path)."""
    return (isinstance(response_data, dict) and response_data.get("data") is None
            and bool(response_data.get("errors")) and not any(e.get("path") for e in response_data["errors"]))


def request_error_status(errors: list[dict[str, Any]]) -> int:
    """One status for a list of request errors: theirs when they agree, else the worst class."""
    statuses = {status_for((e.get("extensions") or {}).get("code")) for e in errors}
    if len(statuses) == 1:
        return statuses.pop()
    return max(statuses) if any(s >= 500 for s in statuses) else 400


def error_response(request: web.Request, errors: list[dict[str, Any]], status: int | None = None,
                   headers: dict[str, str] | None = None) -> web.Response:
    """A request error answered outside the GraphQL view (middleware, envelope, scope checks).

    `status=None` means "a GraphQL-level request error": 4xx under graphql-response+json,
    200 (and `"data": null`) under application/json.
    """
    graphql_response = wants_graphql_response(request)
    body: dict[str, Any] = {"errors": errors}
    if status is None:
        status = request_error_status(errors) if graphql_response else 200
        if not graphql_response:
            body = {"data": None, "errors": errors}
    return web.json_response(body, status=status, headers=headers,
                             content_type=GRAPHQL_RESPONSE if graphql_response else JSON)
