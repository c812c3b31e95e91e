"""The admin console (管理后台): static files under `/admin/`, talking to the public `/graphql`.

Plain ES modules and CSS from `static/admin/` (no build step, no CDN). Deep links are hash
routes (`/admin/#/work-orders/…`), so the server only serves files.
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

STATIC = Path(__file__).parent / "static" / "admin"
PREFIX = "/admin"

# The console loads nothing from elsewhere; Chart.js sets canvas sizes through inline styles.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                               "img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; "
                               "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


async def _redirect(request: web.Request) -> web.Response:
    raise web.HTTPPermanentRedirect(f"{PREFIX}/")


async def _index(request: web.Request) -> web.FileResponse:
    # always revalidate the shell so a deploy reaches open browsers on their next load
    return web.FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})


async def _headers(request: web.Request, response: web.StreamResponse) -> None:
    if request.path == PREFIX or request.path.startswith(PREFIX + "/"):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        response.headers.setdefault("Cache-Control", "no-cache")


def setup_admin_console(app: web.Application) -> None:
    """Serve the console at `/admin/` and redirect `/admin` there."""
    app.router.add_get(PREFIX, _redirect)
    app.router.add_get(PREFIX + "/", _index)
    app.router.add_static(PREFIX + "/", STATIC, follow_symlinks=False, append_version=False)
    app.on_response_prepare.append(_headers)
