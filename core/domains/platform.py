"""The per-app wiring: settings, database, the core repositories, the keyring, and the parts
the subsystems attach at start-up (typed, so a reader finds who provides what).

It sits on the domains' floor because it opens their repositories; the ground floor
(`platform/`) names it for the type checker only.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from community_plus.domains import repositories as r
from community_plus.platform.security.pii import Keyring
from community_plus.platform.security.session_gate import SessionGate
from community_plus.settings import Settings

if TYPE_CHECKING:
    from community_plus.domains.identity.service import IdentityLimits
    from community_plus.domains.media.repository import FileRepository
    from community_plus.domains.media.spool import Spool
    from community_plus.domains.media.storage import Storage
    from community_plus.domains.media.workers import ImageWorkers
    from community_plus.domains.resident_import.service import ImportRunner
    from community_plus.graphql.extensions.persisted import PersistedQueries
    from community_plus.http.rate_limits import RequestLimiter
    from community_plus.integrations.wechat.client import WeChatClient
    from community_plus.modules.events import EventBus
    from community_plus.modules.registry import PluginRegistry
    from community_plus.platform.event_log import EventLog
    from community_plus.realtime.setup import Realtime


class Platform:
    """Everything wired once per app: settings, database, repositories, keyring."""

    def __init__(self, settings: Settings, client: AsyncMongoClient, db: AsyncDatabase) -> None:
        self.settings = settings
        self.client = client
        self.db = db
        self.keyring = Keyring.from_setting(settings.pii_key_material, settings.pii_key_id)
        self.regions = r.RegionRepository(db)
        self.grids = r.GridRepository(db)
        self.residents = r.ResidentRepository(db, self.keyring)
        self.users = r.UserRepository(db)
        self.sessions = r.SessionRepository(db)
        self.audit = r.AuditRepository(db)
        self.service_items = r.ServiceItemRepository(db)
        self.service_forms = r.ServiceFormRepository(db)
        self.work_orders = r.WorkOrderRepository(db)
        self.outbox = r.OutboxRepository(db)
        self.idempotency = r.IdempotencyRepository(db)
        self.session_gate = SessionGate(self.sessions, self.users)
        # Set by the subsystems that own them, at start-up (create_app's cleanup contexts) or
        # on first use by the CLI; None while that subsystem is not wired (a CLI run, a test app
        # without background parts). Typed so that a reader finds who provides what.
        self.modules: PluginRegistry | None = None  # the loaded modules (modules/setup.py)
        self.events: EventBus | None = None  # domain events → module hooks (modules/setup.py)
        self.seed_extra: Callable[[Platform, list[dict[str, Any]]], Awaitable[Any]] | None = None  # cli
        self.persisted_queries: PersistedQueries | None = None  # app.py
        self.request_limiter: RequestLimiter | None = None  # app.py, when rate limits are on
        self.readiness: dict[str, Callable[[], Awaitable[bool]]] = {}  # /readyz probes by name
        self.storage: Storage | None = None  # media/setup.py
        self.files: FileRepository | None = None
        self.media_spool: Spool | None = None
        self.media_images: ImageWorkers | None = None
        self.media_visibility: dict[str, Callable[..., Awaitable[bool]]] = {}  # entity → who may see its files
        self.wechat: WeChatClient | None = None  # domains/identity/setup.py
        self.notification_sender: Callable[[], Any] | None = None  # set with a WeChat secret
        self.content_check: Callable[..., Awaitable[str]] | None = None
        self.identity_limits: IdentityLimits | None = None  # None: the defaults (tests override)
        self.event_log: EventLog | None = None  # realtime/setup.py (or on first publish)
        self.realtime: Realtime | None = None
        self.resident_import_runner: ImportRunner | None = None  # resident_import/setup.py
        # Domain parts built once per platform on first use (`domains.parts.platform_part`,
        # the hotline/linkage repositories), by part name.
        self.parts: dict[str, Any] = {}
    def repositories(self) -> list[r.Repository]:
        return [self.regions, self.grids, self.residents, self.users, self.sessions, self.audit,
                self.service_items, self.service_forms, self.work_orders, self.outbox, self.idempotency]
