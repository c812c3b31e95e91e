"""HTTP middleware and the operational endpoints (`/healthz`, `/readyz`, `/metrics`)."""

from __future__ import annotations

import time
import uuid

import structlog
from aiohttp import web

from .access import Principal, Scope
from .errors import AppError, Unauthenticated
from .http_limits import rate_limit_middleware
from .security.tokens import read_access_token

log = structlog.get_logger("community_plus.http")

REQUEST_ID = web.RequestKey("request_id", str)
SCOPE = web.RequestKey("scope", Scope)


def make_middlewares(app_keys) -> list:
    platform_key, metrics_key = app_keys

    @web.middleware
    async def request_context(request: web.Request, handler):
        request_id = request.headers.get("X-Request-Id") or uuid.uuid4().hex
        request[REQUEST_ID] = request_id
        structlog.contextvars.bind_contextvars(request_id=request_id)
        start = time.perf_counter()
        route = request.match_info.route.resource.canonical if request.match_info.route.resource else "unmatched"
        status = 500
        try:
            response = await handler(request)
            status = response.status
            response.headers["X-Request-Id"] = request_id
            return response
        except web.HTTPException as exc:
            status = exc.status
            raise
        except Exception:
            log.exception("unhandled error", path=request.path)
            return web.json_response({"errors": [{"message": f"internal error; request id {request_id}",
                                                  "extensions": {"code": "INTERNAL_SERVER_ERROR",
                                                                 "requestId": request_id}}]}, status=500)
        finally:
            metrics = request.app[metrics_key]
            metrics.http_requests.labels(request.method, route, str(status)).inc()
            metrics.http_latency.labels(route).observe(time.perf_counter() - start)
            structlog.contextvars.unbind_contextvars("request_id")

    @web.middleware
    async def authentication(request: web.Request, handler):
        principal = None
        auth_error: AppError | None = None
        header = request.headers.get("Authorization", "")
        if header:
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token:
                auth_error = Unauthenticated("Authorization 头格式应为 'Bearer <token>' (expected 'Bearer <access token>')")
            else:
                platform = request.app[platform_key]
                try:
                    principal = Principal.from_claims(read_access_token(token.strip(), platform.settings.signing_key))
                except AppError as exc:
                    auth_error = exc
                if principal is not None and not await platform.session_gate.live(principal):
                    principal = None  # logged out, session revoked, or account disabled
                    auth_error = Unauthenticated("会话已结束，请重新登录 (session ended: log in again)",
                                                 reason="SESSION_ENDED")
        request[SCOPE] = Scope(principal=principal, auth_error=auth_error)
        return await handler(request)

    return [request_context, authentication, rate_limit_middleware(platform_key, SCOPE)]
