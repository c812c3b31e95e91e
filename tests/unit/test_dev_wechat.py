"""`serve` in dev runs the fake WeChat beside the API (core/integrations/wechat/dev_fake.py); never in prod."""

from __future__ import annotations

import base64
import secrets

import json
import socket
import urllib.request

import pytest

from community_plus.settings import load_settings
from community_plus.integrations.wechat.dev_fake import FakeWeChatThread, dev_wechat, wants_fake_wechat

PROD = {"CP_ENV": "prod", "CP_SECRET_KEY": base64.urlsafe_b64encode(secrets.token_bytes(48)).decode(),
        "CP_PII_KEY": base64.b64encode(secrets.token_bytes(32)).decode()}  # strong keys: prod refuses weak ones


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No WeChat settings from the caller's environment or a `.env` file."""
    for name in ("CP_WECHAT_APPID", "CP_WECHAT_SECRET", "CP_WECHAT_API_BASE", "CP_WECHAT_TEMPLATES", "CP_ENV"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.mark.parametrize("overrides, wanted", [
    ({"CP_ENV": "dev"}, True),
    ({"CP_ENV": "dev", "CP_WECHAT_APPID": "wx1234567890abcdef"}, False),
    ({"CP_ENV": "dev", "CP_WECHAT_SECRET": "s3cret"}, False),
    ({"CP_ENV": "dev", "CP_WECHAT_API_BASE": "http://127.0.0.1:1"}, False),
    (PROD, False),
])
def test_only_dev_without_wechat_settings_gets_the_fake(clean_env, overrides, wanted):
    assert wants_fake_wechat(load_settings(**overrides)) is wanted


def test_prod_settings_pass_through_untouched(clean_env):
    settings = load_settings(**PROD)
    with dev_wechat(settings) as (used, base):
        assert base is None and used is settings


def test_dev_settings_point_at_a_running_fake_and_a_taken_port_falls_back(clean_env):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        fake = FakeWeChatThread("wx0000000000000000", "s3cret", port=port)
        base = fake.start()
        try:
            assert base.startswith("http://127.0.0.1:") and not base.endswith(f":{port}")
            req = urllib.request.Request(f"{base}/_fake/code?user=alice", data=b"", method="POST")
            with urllib.request.urlopen(req, timeout=5) as resp:
                assert json.loads(resp.read())["code"]
        finally:
            fake.stop()
    assert not fake._thread.is_alive()
    with dev_wechat(load_settings(CP_ENV="dev")) as (used, base):
        assert used.wechat_api_base == base and used.wechat_secret
        assert used.wechat_templates == ("work_order_status=TPL_WORK_ORDER_UPDATE,"
                                         "module_notice=TPL_MODULE_NOTICE")
        query = (f"appid={used.wechat_appid}&secret={used.wechat_secret}&js_code=user:alice:1"
                 "&grant_type=authorization_code")
        with urllib.request.urlopen(f"{base}/sns/jscode2session?{query}", timeout=5) as resp:
            assert "openid" in json.loads(resp.read())
