"""The admin console (管理后台): static files under `/admin/`, talking to the public `/graphql`.

Plain ES modules and CSS from `static/admin/` (no build step, no CDN). Deep links are hash
routes (`/admin/#/work-orders/…`), so the server only serves files.

Modules contribute pages (`Module.console_pages`, `community_plus_sdk.console`): the console
reads them from `modules { consolePages }` for the chosen community (only enabled modules'
pages are shown) and imports each page's script from `/admin/modules/<module>/<file>`, served
from the module package's own `console/` folder — nothing of a module is built into the core.
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web
from community_plus.keys import REGISTRY

STATIC = Path(__file__).parents[1] / "static" / "admin"
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


MODULE_FILES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png"}


def module_console_dir(plugin: object) -> Path | None:
    """The `console/` folder of a module's package (where its console pages live)."""
    origin = getattr(plugin, "__file__", None)
    return Path(origin).resolve().parent / "console" if origin else None


async def _module_file(request: web.Request) -> web.FileResponse:
    """A file of a module's `console/` folder (scripts of its console pages), nothing outside it."""

    registry = request.app.get(REGISTRY)
    loaded = registry.modules.get(request.match_info["module"]) if registry is not None else None
    root = module_console_dir(loaded.plugin) if loaded is not None and loaded.manifest.console_pages else None
    rel = request.match_info["path"]
    if root is None or not root.is_dir() or Path(rel).suffix not in MODULE_FILES or "\\" in rel:
        raise web.HTTPNotFound()
    target = (root / rel).resolve()
    if not target.is_relative_to(root) or not target.is_file():
        raise web.HTTPNotFound()
    return web.FileResponse(target, headers={"Content-Type": MODULE_FILES[target.suffix],
                                             "Cache-Control": "no-cache"})


async def _headers(request: web.Request, response: web.StreamResponse) -> None:
    if request.path == PREFIX or request.path.startswith(PREFIX + "/"):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        response.headers.setdefault("Cache-Control", "no-cache")


def setup_admin_console(app: web.Application) -> None:
    """Serve the console at `/admin/` and redirect `/admin` there."""
    app.router.add_get(PREFIX, _redirect)
    app.router.add_get(PREFIX + "/", _index)
    app.router.add_get(PREFIX + "/modules/{module}/{path:.+}", _module_file)
    app.router.add_static(PREFIX + "/", STATIC, follow_symlinks=False, append_version=False)
    app.on_response_prepare.append(_headers)
