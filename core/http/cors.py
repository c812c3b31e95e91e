"""CORS for browser clients on other origins (H5 / uni-app builds): `CP_CORS_ORIGINS`.

Off by default (no origin allowed; WeChat mini-programs are not browsers and need none).
`CP_CORS_ORIGINS=https://h5.example.org,https://m.example.org` allows exactly those origins
(scheme, host and port; `*` allows any). Preflights (`OPTIONS` with
`Access-Control-Request-Method`) are answered here, before authentication and admission, with
the methods and headers clients use (`Authorization`, `Content-Type`, `X-Community-Id`,
`Idempotency-Key`, `Apollo-Require-Preflight`); a preflight from another origin gets 403.
Answers to allowed origins name the origin (never `*`, and `Vary: Origin`) and expose
`Retry-After` and `X-Request-Id`. Credentials: clients authenticate with a bearer token, not
cookies, so `Access-Control-Allow-Credentials` is never sent (a cookie-less API cannot be
ridden by another site's page). A small middleware rather than aiohttp-cors: that one needs
every route registered with it, which the GraphQL/WebSocket handler and file routes don't fit.
"""

from __future__ import annotations

from aiohttp import web

from community_plus.keys import SETTINGS

METHODS = "GET, POST, PUT, OPTIONS"
HEADERS = ("authorization", "content-type", "x-community-id", "idempotency-key", "apollo-require-preflight",
           "x-requested-with", "accept")
EXPOSE = "Retry-After, X-Request-Id"
MAX_AGE = "600"


def parse_origins(value: str | None) -> frozenset[str]:
    return frozenset(o.strip().rstrip("/") for o in (value or "").split(",") if o.strip())


class Cors:
    def __init__(self, origins: frozenset[str]) -> None:
        self.origins = origins

    def allowed(self, origin: str | None) -> bool:
        return bool(origin) and ("*" in self.origins or origin in self.origins)

    @web.middleware
    async def preflight(self, request: web.Request, handler):
        if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
            origin = request.headers.get("Origin")
            if not self.allowed(origin):
                return web.Response(status=403, text="origin not allowed (CP_CORS_ORIGINS)", headers={"Vary": "Origin"})
            asked = [h.strip().lower() for h in request.headers.get("Access-Control-Request-Headers", "").split(",")
                     if h.strip()]
            return web.Response(status=204, headers={
                "Access-Control-Allow-Origin": origin, "Vary": "Origin", "Access-Control-Allow-Methods": METHODS,
                "Access-Control-Allow-Headers": ", ".join(h for h in asked if h in HEADERS) or "content-type",
                "Access-Control-Max-Age": MAX_AGE})
        return await handler(request)

    async def on_prepare(self, request: web.Request, response: web.StreamResponse) -> None:
        origin = request.headers.get("Origin")
        if self.allowed(origin):
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Expose-Headers"] = EXPOSE
            vary = response.headers.get("Vary")
            response.headers["Vary"] = f"{vary}, Origin" if vary and "Origin" not in vary else (vary or "Origin")


def setup_cors(app: web.Application) -> None:
    """Answer preflights first (before any I/O) and label the answers to allowed origins
    (`settings.cors_origins`)."""
    cors = Cors(parse_origins(app[SETTINGS].cors_origins))
    if not cors.origins:
        return
    app.middlewares.insert(0, cors.preflight)
    app.on_response_prepare.append(cors.on_prepare)
