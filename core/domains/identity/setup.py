"""Wire WeChat into the domains: `setup_wechat(app)` from `create_app`, after the database.

The cleanup context creates the identity indexes, then the `WeChatClient` (its HTTP
session opens on first use) as `platform.wechat`, and closes it on shutdown. With a secret,
the outbox delivers through WeChat (`wechat_sender.py`) and modules' content checks run as
the caller (`content_check.py`): both need a user's openid, which identity keeps.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import structlog
from aiohttp import web

from community_plus.domains.identity.content_check import check_content
from community_plus.domains.identity.repositories import IdentityRepositories
from community_plus.domains.identity.wechat_sender import WeChatSender
from community_plus.integrations.wechat.client import WeChatClient
from community_plus.platform.tasks import bounded
from community_plus.keys import PLATFORM, SETTINGS

log = structlog.get_logger("community_plus.integrations.wechat")


async def _wechat(app: web.Application) -> AsyncIterator[None]:
    if PLATFORM not in app:
        raise RuntimeError("setup_wechat(app) must come after the database cleanup context in create_app")
    platform, settings = app[PLATFORM], app[SETTINGS]
    await IdentityRepositories.of(platform).ensure_indexes()
    if not settings.wechat_secret:
        log.warning("CP_WECHAT_SECRET is not set: WeChat login will fail until it is configured")
    client = WeChatClient(settings.wechat_appid, settings.wechat_secret, settings.wechat_api_base, platform.db)
    platform.wechat = client
    if settings.wechat_secret:  # deliver notifications and check content through WeChat
        platform.notification_sender = lambda: WeChatSender(platform)
        platform.content_check = check_content
    try:
        yield
    finally:
        platform.wechat = None
        await bounded(client.close(), "close the WeChat client")


def setup_wechat(app: web.Application) -> None:
    """Register the WeChat client's cleanup context (call after the database's)."""
    app.cleanup_ctx.append(_wechat)
