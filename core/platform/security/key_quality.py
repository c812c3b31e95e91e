"""Refusing weak secrets in production: the token-signing key and the PII key.

A key that is short, a known default, a placeholder, or obviously not random (one repeated
character, a repeated pattern, a run like `abcdef…`, text typed by a person) makes every
token forgeable or every sealed phone number readable, while the server runs as if all were
well. `CP_ENV=prod` therefore refuses to start with such a key and says how to make one
(`GENERATE_SECRET`, `GENERATE_PII_KEY`).

We cannot measure randomness from one sample; these checks refuse what is certainly weak and
estimate the rest conservatively: a signing key must carry at least 256 bits by the size of
its alphabet (≥ 64 hex digits, ≥ 43 base64 characters — what `secrets.token_urlsafe(32)`
gives — or ≥ 40 other printable characters); a PII key must be exactly 32 bytes of base64
that do not look like text.
"""

from __future__ import annotations

import base64
import binascii
import math
import string
from collections import Counter

GENERATE_SECRET = 'python -c "import secrets; print(secrets.token_urlsafe(48))"'
GENERATE_PII_KEY = 'python -c "import base64, secrets; print(base64.b64encode(secrets.token_bytes(32)).decode())"'

MIN_SECRET_BITS = 256
PII_KEY_BYTES = 32
_PLACEHOLDERS = ("changeme", "change-me", "change_me", "replace", "example", "placeholder", "secret", "password",
                 "passwd", "dev-only", "default", "insecure", "your-", "your_", "test-key", "testkey")
_HEX = frozenset(string.hexdigits)
_BASE64 = frozenset(string.ascii_letters + string.digits + "+/-_=")


def _shannon_bits(symbols: bytes | str) -> float:
    """Total bits by the observed symbol frequencies (low for skewed or repetitive values)."""
    counts = Counter(symbols)
    n = len(symbols)
    return -sum(c * math.log2(c / n) for c in counts.values())


def _has_repeat(value: bytes | str, width: int) -> bool:
    """Whether some `width` symbols occur twice (for bytes: 4 repeated bytes are never chance)."""
    seen = set()
    for i in range(len(value) - width + 1):
        part = value[i:i + width]
        if part in seen:
            return True
        seen.add(part)
    return False


def _is_periodic(value: str) -> bool:
    """Whether `value` is a shorter block repeated (`abcabcabc…`)."""
    n = len(value)
    return any(all(value[i] == value[i + p] for i in range(n - p)) for p in range(1, n // 2 + 1))


def _is_run(codes: list[int], length: int = 6) -> bool:
    """Whether `length` symbols in a row step by the same -1, 0 or +1 (`abcdef`, `543210`, `aaaaaa`)."""
    run, last = 1, None
    for a, b in zip(codes, codes[1:]):
        step = b - a
        run = run + 1 if step == last and step in (-1, 0, 1) else 2
        last = step
        if run >= length:
            return True
    return False


def secret_problem(value: str, known: set[str]) -> str | None:
    """Why `value` is not an acceptable signing key, or None when it is."""
    lowered = value.lower()
    if value in known:
        return "这是开发用的默认密钥 (this is the built-in development key)"
    if any(p in lowered for p in _PLACEHOLDERS):
        return "看起来是占位符 (looks like a placeholder, not a random key)"
    chars = set(value)
    per_char = 4 if chars <= _HEX else 6 if chars <= _BASE64 else math.log2(95)
    if len(value) * per_char < MIN_SECRET_BITS:
        return (f"太短：需要至少 32 个随机字节 (too short: {len(value)} characters carry at most "
                f"{len(value) * per_char:.0f} bits; use at least 32 random bytes)")
    if (len(chars) < 10 or _shannon_bits(value) < 128 or _is_periodic(value)
            or _is_run([ord(c) for c in value], max(6, len(value) // 4))):
        return "不够随机 (not random: repeated characters, a pattern or a sequence)"
    return None


def pii_key_problem(b64: str, known: set[str]) -> str | None:
    """Why one base64 PII key is not acceptable as the current key, or None when it is."""
    if b64 in known:
        return "这是开发用的默认密钥 (this is the built-in development key)"
    try:
        raw = base64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError):
        return "不是有效的 base64 (not valid base64)"
    if len(raw) != PII_KEY_BYTES:
        return f"长度应为 32 字节 (must be exactly {PII_KEY_BYTES} bytes, got {len(raw)})"
    if len(set(raw)) < 16 or _is_run(list(raw)) or _has_repeat(raw, 4):
        return "不够随机 (not random: repeated bytes, a pattern or a sequence, e.g. all zeros)"
    if all(32 <= b < 127 for b in raw):
        return "看起来是文本而不是随机字节 (these bytes are printable text, not random bytes)"
    return None
