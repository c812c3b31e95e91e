"""Encryption at rest for personal data (ID numbers, phones) and keyed blind indexes.

Values are sealed with AES-256-GCM; each sealed value records the id of the key that sealed
it so keys can rotate (`community-plus pii rotate-key`). Equality lookups and uniqueness use
an HMAC-SHA256 blind index, never the plaintext. `CP_PII_KEY` is either one base64 key
(its id is `CP_PII_KEY_ID`) or a comma-separated list `id:base64,...`, current key first.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from bson.binary import Binary
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def _derive(key: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=SHA256(), length=32, salt=None, info=purpose).derive(key)


class Keyring:
    """The current PII key plus older keys that can still decrypt."""

    def __init__(self, keys: list[tuple[str, bytes]]) -> None:
        if not keys:
            raise ValueError("at least one PII key is required")
        self.current_id = keys[0][0]
        self._aead = {kid: AESGCM(_derive(k, b"cp-pii-seal")) for kid, k in keys}
        self._index = {kid: _derive(k, b"cp-pii-blind-index") for kid, k in keys}

    @classmethod
    def from_setting(cls, value: str, default_id: str = "k1") -> Keyring:
        keys: list[tuple[str, bytes]] = []
        for part in value.split(","):
            part = part.strip()
            kid, _, b64 = part.rpartition(":") if ":" in part else (default_id, "", part)
            raw = base64.b64decode(b64)
            if len(raw) < 16:
                raise ValueError(f"PII key {kid!r} is too short: use 32 random bytes, base64-encoded")
            keys.append((kid, raw))
        return cls(keys)

    @property
    def key_ids(self) -> list[str]:
        return list(self._aead)

    def seal(self, plaintext: str, field: str) -> dict:
        """Encrypt `plaintext`; `field` is bound as associated data (no swapping values)."""
        nonce = os.urandom(12)
        ct = self._aead[self.current_id].encrypt(nonce, plaintext.encode(), field.encode())
        return {"k": self.current_id, "n": Binary(nonce), "c": Binary(ct)}

    def open(self, sealed: dict | None, field: str) -> str | None:
        if not sealed:
            return None
        aead = self._aead.get(sealed["k"])
        if aead is None:
            raise KeyError(f"PII key {sealed['k']!r} is not configured in CP_PII_KEY")
        return aead.decrypt(bytes(sealed["n"]), bytes(sealed["c"]), field.encode()).decode()

    def blind_index(self, value: str, field: str, key_id: str | None = None) -> str:
        key = self._index[key_id or self.current_id]
        return hmac.new(key, f"{field}:{value}".encode(), hashlib.sha256).hexdigest()

    def blind_indexes(self, value: str, field: str) -> list[str]:
        """The index value under every configured key (for lookups during a rotation)."""
        return [self.blind_index(value, field, kid) for kid in self._aead]
