"""HTTP middleware and the operational endpoints (`/healthz`, `/readyz`, `/metrics`).

A client that goes away mid-request (connection reset, the handler cancelled) is not a server
error: it is counted as status 499 ("client closed request", nginx's convention) and logged
at debug level, never as an unhandled error or a 500.
"""

from __future__ import annotations

import asyncio
import time
import uuid

import structlog
from aiohttp import web

from community_plus.platform.access import Principal, Scope
from community_plus.platform.errors import AppError, Unauthenticated
from community_plus.http.rate_limits import rate_limit_middleware
from community_plus.platform.security.tokens import SESSION_ENDED, TOKEN_INVALID, read_access_token
from community_plus.keys import METRICS, OPERATION, PLATFORM, REQUEST_ID, SCOPE  # noqa: F401  (the view and sockets import them from here)

log = structlog.get_logger("community_plus.http.middleware")
access_log = structlog.get_logger("community_plus.platform.access")

CLIENT_CLOSED = 499
MAX_REQUEST_ID = 128


def client_gone(request: web.Request) -> bool:
    """The client's connection is closed or closing (it will never read an answer)."""
    transport = request.transport
    return transport is None or transport.is_closing()


def _request_id(header: str | None) -> str:
    """The caller's X-Request-Id when it is a sane token (it is echoed and logged), else a new one."""
    if header and len(header) <= MAX_REQUEST_ID and header.isascii() and header.isprintable():
        return header
    return uuid.uuid4().hex


_PRINCIPALS: dict[tuple[str, str], tuple[Principal, float]] = {}  # verified tokens: (principal, expiry)
MAX_CACHED_TOKENS = 10_000


def principal_of(header: str, signing_key: str) -> tuple[Principal | None, AppError | None]:
    """The principal of an `Authorization` header, or why the presented credentials were refused.
    A verified token is remembered until it expires (no signature check per request)."""
    hit = _PRINCIPALS.get((header, signing_key))
    if hit is not None and time.time() < hit[1]:
        return hit[0], None
    principal, error, expires = _verify(header, signing_key)
    if principal is not None:
        if len(_PRINCIPALS) >= MAX_CACHED_TOKENS:
            _PRINCIPALS.clear()
        _PRINCIPALS[(header, signing_key)] = (principal, expires)
    return principal, error


def _verify(header: str, signing_key: str) -> tuple[Principal | None, AppError | None, float]:
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None, Unauthenticated("Authorization 头格式应为 'Bearer <token>' (expected 'Bearer <access token>')",
                                     reason=TOKEN_INVALID), 0.0
    try:
        claims = read_access_token(token.strip(), signing_key)
        return Principal.from_claims(claims), None, float(claims["exp"])
    except AppError as exc:
        return None, exc, 0.0
    except (KeyError, TypeError, ValueError):  # signed by us but not an access token (claims missing)
        return None, Unauthenticated("无效的访问令牌，请重新登录 (invalid access token: log in again)",
                                     reason=TOKEN_INVALID), 0.0


def make_middlewares() -> list:

    @web.middleware
    async def request_context(request: web.Request, handler):
        request_id = _request_id(request.headers.get("X-Request-Id"))
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
        except asyncio.CancelledError:  # the client went away (or the server is stopping)
            status = CLIENT_CLOSED
            log.debug("request cancelled: client closed the connection", path=request.path)
            raise
        except ConnectionError:
            if not client_gone(request):  # e.g. an upstream refused us: our problem, not the client's
                log.exception("unhandled error", path=request.path)
                return _internal_error(request_id)
            status = CLIENT_CLOSED
            log.debug("client closed the connection", path=request.path)
            raise
        except Exception:
            log.exception("unhandled error", path=request.path)
            return _internal_error(request_id)
        finally:
            elapsed = time.perf_counter() - start
            request.app[METRICS].observe_request(request.method, route, status, elapsed)
            platform = request.app.get(PLATFORM)
            if platform is not None and platform.settings.access_log:
                _log_access(request, route, status, elapsed)
            structlog.contextvars.unbind_contextvars("request_id")

    @web.middleware
    async def authentication(request: web.Request, handler):
        principal, auth_error = None, None
        header = request.headers.get("Authorization", "")
        if header:
            platform = request.app[PLATFORM]
            principal, auth_error = principal_of(header, platform.settings.signing_key)
            if principal is not None and not await platform.session_gate.live(principal):
                principal = None  # logged out, session revoked, or account disabled
                auth_error = Unauthenticated("会话已结束，请重新登录 (session ended: log in again)",
                                             reason=SESSION_ENDED)
        request[SCOPE] = Scope(principal=principal, auth_error=auth_error)
        return await handler(request)

    return [request_context, authentication, rate_limit_middleware()]


def _log_access(request: web.Request, route: str, status: int, seconds: float) -> None:
    """One JSON line per request (`CP_ACCESS_LOG=false` turns it off)."""
    scope = request.get(SCOPE)
    principal = scope.principal if scope is not None else None
    access_log.info("request", method=request.method, route=route, status=status,
                    duration_ms=round(seconds * 1000, 2), operation=request.get(OPERATION),
                    role=principal.role if principal is not None else "anonymous",
                    request_id=request.get(REQUEST_ID))


def _internal_error(request_id: str) -> web.Response:
    return web.json_response({"errors": [{"message": f"服务器内部错误 (internal error; request id {request_id})",
                                          "extensions": {"code": "INTERNAL_SERVER_ERROR",
                                                         "requestId": request_id}}]}, status=500)
