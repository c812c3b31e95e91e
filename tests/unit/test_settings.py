"""Production refuses weak secrets at start-up, and says how to make good ones."""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys

import pytest

from community_plus.settings import DEV_PII_KEY, DEV_SECRET, ConfigurationError, load_settings


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


GOOD_SECRET = secrets.token_urlsafe(48)
GOOD_PII = b64(secrets.token_bytes(32))

WEAK_SECRETS = {
    "short": "short",
    "the dev default": DEV_SECRET,
    "one repeated character": "a" * 64,
    "a repeated pattern": "0123456789abcdef" * 4,
    "a sequence": "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
    "a placeholder": "please-change-me-to-a-long-random-production-secret-value",
    "16 random bytes in hex": secrets.token_hex(16),
    "24 random bytes in base64": secrets.token_urlsafe(24),
}
WEAK_PII_KEYS = {
    "all zeros": b64(bytes(32)),
    "one repeated byte": b64(b"\x07" * 32),
    "the dev default": DEV_PII_KEY,
    "16 bytes": b64(secrets.token_bytes(16)),
    "64 bytes": b64(secrets.token_bytes(64)),
    "text, not random bytes": b64(b"my-very-own-pii-key-of-32-bytes!"),
    "a sequence": b64(bytes(range(32))),
    "a repeated block": b64(secrets.token_bytes(8) * 4),
    "not base64": "not base64 at all!!",
}


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    for name in ("CP_SECRET_KEY", "CP_PII_KEY", "CP_PII_KEY_ID", "CP_ENV"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize("name", WEAK_SECRETS)
def test_weak_signing_keys_are_refused_in_prod(name):
    with pytest.raises(ConfigurationError) as exc:
        load_settings(CP_ENV="prod", CP_SECRET_KEY=WEAK_SECRETS[name], CP_PII_KEY=GOOD_PII)
    message = str(exc.value)
    assert "CP_SECRET_KEY" in message and "CP_PII_KEY 的" not in message
    assert "secrets.token_urlsafe(48)" in message  # how to make a good one
    load_settings(CP_ENV="dev", CP_SECRET_KEY=WEAK_SECRETS[name])  # development does not care


@pytest.mark.parametrize("name", WEAK_PII_KEYS)
def test_weak_pii_keys_are_refused_in_prod(name):
    for value in (WEAK_PII_KEYS[name], f"k9:{WEAK_PII_KEYS[name]}", f"k9:{WEAK_PII_KEYS[name]},k1:{GOOD_PII}"):
        with pytest.raises(ConfigurationError) as exc:
            load_settings(CP_ENV="prod", CP_SECRET_KEY=GOOD_SECRET, CP_PII_KEY=value)
        message = str(exc.value)
        assert "CP_PII_KEY" in message and "CP_SECRET_KEY 不安全" not in message
        assert "secrets.token_bytes(32)" in message


def test_missing_secrets_name_both_and_strong_ones_start():
    with pytest.raises(ConfigurationError) as exc:
        load_settings(CP_ENV="prod")
    assert "CP_SECRET_KEY" in str(exc.value) and "CP_PII_KEY" in str(exc.value)
    for secret in (GOOD_SECRET, secrets.token_urlsafe(32), secrets.token_hex(32)):
        settings = load_settings(CP_ENV="prod", CP_SECRET_KEY=secret, CP_PII_KEY=GOOD_PII)
        assert settings.signing_key == secret and settings.pii_key_material == GOOD_PII
    # rotating away from a weak key: only the current (first) key must be strong
    rotating = load_settings(CP_ENV="prod", CP_SECRET_KEY=GOOD_SECRET, CP_PII_KEY=f"k2:{GOOD_PII},k1:{DEV_PII_KEY}")
    assert rotating.pii_key.startswith("k2:")
    with pytest.raises(ConfigurationError, match="different"):
        load_settings(CP_ENV="prod", CP_SECRET_KEY=GOOD_PII, CP_PII_KEY=GOOD_PII)


def test_serve_refuses_to_start_with_a_weak_key(tmp_path):
    env = {**os.environ, "CP_ENV": "prod", "CP_SECRET_KEY": "short", "CP_PII_KEY": b64(bytes(32)),
           "CP_DATA_DIR": str(tmp_path), "MONGODB_URI": "mongodb://127.0.0.1:1/never?directConnection=true"}
    proc = subprocess.run([sys.executable, "-m", "community_plus.cli", "serve", "--port", "0"], env=env,
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode != 0
    assert "CP_SECRET_KEY" in proc.stderr and "CP_PII_KEY" in proc.stderr, proc.stderr
    assert "secrets.token_urlsafe(48)" in proc.stderr
