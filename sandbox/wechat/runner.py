"""Run the fake WeChat server on a port, for the sandbox and manual testing."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from aiohttp import web

from .app import FAKE_WECHAT, create_fake_wechat

# The demo subscription templates (id → keywords) and which server template key uses which.
DEMO_TEMPLATES = {"TPL_WORK_ORDER_UPDATE": ["thing1", "phrase2", "time3"],
                  "TPL_MODULE_NOTICE": ["thing1", "phrase2", "time3"]}
DEMO_TEMPLATE_IDS = {"work_order_status": "TPL_WORK_ORDER_UPDATE", "module_notice": "TPL_MODULE_NOTICE"}
DEMO_FLAGGED = {"赌博": ("risky", 20006), "代开发票": ("review", 10001)}


async def serve_fake_wechat(appid: str, secret: str, host: str = "127.0.0.1", port: int = 9080, *,
                            unionid: bool = False, phones: dict[str, str] | None = None,
                            on_ready: Callable[[str], None] | None = None,
                            stop: asyncio.Event | None = None, app: web.Application | None = None) -> None:
    """Serve until `stop` is set (or forever); `on_ready(base_url)` runs once listening.

    `phones` pre-registers test users with phone numbers (`{"alice": "13812345678"}`).
    `port=0` takes a free port (`on_ready` is told which). A port in use raises OSError.
    `app` serves a fake built beforehand (`demo_fake_wechat`) instead of a fresh one.
    """
    app = app or demo_fake_wechat(appid, secret, unionid=unionid, phones=phones)
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound = runner.addresses[0][1] if port == 0 else port
        if on_ready is not None:
            on_ready(f"http://{host}:{bound}")
        await (stop or asyncio.Event()).wait()
    finally:
        await runner.cleanup()


def demo_templates_setting() -> str:
    """`CP_WECHAT_TEMPLATES` for a server talking to a demo fake."""
    return ",".join(f"{key}={tid}" for key, tid in DEMO_TEMPLATE_IDS.items())


def demo_fake_wechat(appid: str, secret: str, *, unionid: bool = False,
                     phones: dict[str, str] | None = None) -> web.Application:
    """A fake with the demo templates and flagged words, and `phones`' users registered."""
    app = create_fake_wechat(appid, secret, unionid=unionid, templates=DEMO_TEMPLATES, flagged=DEMO_FLAGGED)
    for name, phone in (phones or {}).items():
        app[FAKE_WECHAT].add_user(name, phone=phone)
    return app
