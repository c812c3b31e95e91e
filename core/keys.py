"""Every `web.AppKey` (and `web.RequestKey`) of the server, in one module that imports nothing of the server at run time.

A subsystem's `setup(app)` reads what `create_app` put on the app through these keys; keeping
them here (and not in `app.py`) is what lets `domains/media/setup.py` or
`domains/identity/setup.py` read the platform without importing `app.py`, which imports
them. The value types are named for the type checker only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from community_plus.devtools.worker import SandboxState
    from community_plus.domains.media.state import MediaState
    from community_plus.graphql.schema import SchemaCache
    from community_plus.http.deadline import Admission
    from community_plus.modules.registry import PluginRegistry
    from community_plus.platform.access import Scope
    from community_plus.domains.platform import Platform
    from community_plus.platform.db import Outage
    from community_plus.platform.metrics import Metrics
    from community_plus.realtime.setup import Realtime
    from community_plus.settings import Settings

SETTINGS: web.AppKey[Settings] = web.AppKey("settings")
PLATFORM: web.AppKey[Platform] = web.AppKey("platform")
METRICS: web.AppKey[Metrics] = web.AppKey("metrics")
SCHEMAS: web.AppKey[SchemaCache] = web.AppKey("schemas")
ADMISSION: web.AppKey[Admission] = web.AppKey("admission")
OUTAGE: web.AppKey[Outage] = web.AppKey("outage")
REGISTRY: web.AppKey[PluginRegistry] = web.AppKey("plugins")
MEDIA: web.AppKey[MediaState] = web.AppKey("media")
REALTIME: web.AppKey[Realtime] = web.AppKey("realtime")
SANDBOX: web.AppKey[SandboxState] = web.AppKey("sandbox")

# per request, set by the middleware (and the view: the operation's name, for the access log)
REQUEST_ID: web.RequestKey[str] = web.RequestKey("request_id")
OPERATION: web.RequestKey[str] = web.RequestKey("operation")
SCOPE: web.RequestKey[Scope] = web.RequestKey("scope")
