"""The fake WeChat that `community-plus serve` runs beside the API in dev.

When `CP_ENV=dev` and none of `CP_WECHAT_APPID`, `CP_WECHAT_SECRET`, `CP_WECHAT_API_BASE` is
configured, `serve` starts the sandbox's fake WeChat server (docs/wechat.md) in a thread of
its own process, on 127.0.0.1:9081 (or a free port when that one is taken), and points the
API at it with a fresh secret (and, unless `CP_WECHAT_TEMPLATES` is set, at the fake's demo
subscription templates), so `loginWithWechat` and notifications work out of the box. The thread dies with
the process; `serve` stops it on exit. Never in `prod`.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import threading
from collections.abc import Iterator

from community_plus.settings import Settings

HOST = "127.0.0.1"  # a dev fake: never exposed beyond this machine, whatever `serve --host` says
PREFERRED_PORT = 9081  # beside `wechat sandbox` and `sandbox` (9080), which may run at the same time
CONFIGURED_BY = {"wechat_appid", "wechat_secret", "wechat_api_base"}


def wants_fake_wechat(settings: Settings) -> bool:
    """Dev, and WeChat not configured by the environment or `.env`."""
    return settings.dev and not (CONFIGURED_BY & settings.model_fields_set)


class FakeWeChatThread:
    """The fake WeChat server on its own event loop in a daemon thread.

    >>> fake = FakeWeChatThread("wx0000000000000000", "s3cret", port=0)
    >>> fake.start().startswith("http://127.0.0.1:")
    True
    >>> fake.stop()
    """

    def __init__(self, appid: str, secret: str, host: str = HOST, port: int = PREFERRED_PORT) -> None:
        self.appid, self.secret, self.host, self.port = appid, secret, host, port
        self.base: str | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="fake-wechat", daemon=True)

    def start(self, timeout: float = 10.0) -> str:
        """Start serving; returns the base URL once listening."""
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError(f"the fake WeChat server did not start within {timeout:.0f}s")
        if self._error is not None:
            raise RuntimeError(f"the fake WeChat server did not start: {self._error}") from self._error
        assert self.base is not None
        return self.base

    def stop(self, timeout: float = 5.0) -> None:
        if self._loop is not None and self._stop is not None and self._thread.is_alive():
            with contextlib.suppress(RuntimeError):  # the loop already closed
                self._loop.call_soon_threadsafe(self._stop.set)
            self._thread.join(timeout)

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # reported by start(); a thread has nobody else to tell
            self._error = exc
        finally:
            self._ready.set()

    async def _main(self) -> None:
        from community_plus_sandbox.wechat.runner import serve_fake_wechat

        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()

        def ready(base: str) -> None:
            self.base = base
            self._ready.set()

        try:
            await serve_fake_wechat(self.appid, self.secret, self.host, self.port, on_ready=ready, stop=self._stop)
        except OSError:
            if self.port == 0 or self.base is not None:
                raise
            await serve_fake_wechat(self.appid, self.secret, self.host, 0, on_ready=ready, stop=self._stop)


@contextlib.contextmanager
def dev_wechat(settings: Settings) -> Iterator[tuple[Settings, str | None]]:
    """(settings pointed at a running fake, its base URL), or (settings, None) when not wanted."""
    if not wants_fake_wechat(settings):
        yield settings, None
        return
    from community_plus_sandbox.wechat.runner import demo_templates_setting

    secret = secrets.token_hex(16)
    fake = FakeWeChatThread(settings.wechat_appid, secret)
    base = fake.start()
    templates = settings.wechat_templates or demo_templates_setting()  # the fake's demo templates
    try:
        yield settings.model_copy(update={"wechat_api_base": base, "wechat_secret": secret,
                                          "wechat_templates": templates}), base
    finally:
        fake.stop()
