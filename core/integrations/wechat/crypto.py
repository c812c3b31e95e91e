"""Legacy encrypted user data (`encryptedData` + `iv` from old getPhoneNumber buttons).

AES-128-CBC with key = base64(session_key), PKCS#7 padding, JSON plaintext whose
`watermark.appid` must be our appid (docs/wechat.md). New code should use
`getuserphonenumber` with a phone code instead.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from community_plus.integrations.wechat.errors import WeChatDataError


def _b64(value: str, what: str, size: int | None = None) -> bytes:
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise WeChatDataError(f"{what} is not valid base64") from exc
    if size is not None and len(raw) != size:
        raise WeChatDataError(f"{what} must decode to {size} bytes")
    return raw


def decrypt_legacy_phone(session_key_b64: str, iv_b64: str, encrypted_b64: str, appid: str) -> dict[str, Any]:
    """Decrypt WeChat's legacy `encryptedData`; reject it unless `watermark.appid == appid`.

    >>> data = decrypt_legacy_phone(session_key, iv, encrypted_data, "wx4f4bc4dec97d474b")  # doctest: +SKIP
    >>> data["watermark"]["appid"]  # doctest: +SKIP
    'wx4f4bc4dec97d474b'
    """
    key = _b64(session_key_b64, "session_key", 16)
    iv = _b64(iv_b64, "iv", 16)
    data = _b64(encrypted_b64, "encryptedData")
    if not data or len(data) % 16:
        raise WeChatDataError("encryptedData length is not a multiple of the AES block size")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    padded = decryptor.update(data) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    try:
        plain = unpadder.update(padded) + unpadder.finalize()
        parsed = json.loads(plain.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:  # bad padding or garbage: wrong or stale session_key
        raise WeChatDataError("cannot decrypt encryptedData (stale session_key or corrupted data)") from exc
    if not isinstance(parsed, dict):
        raise WeChatDataError("decrypted data is not a JSON object")
    watermark = parsed.get("watermark")
    if not isinstance(watermark, dict) or watermark.get("appid") != appid:
        raise WeChatDataError("watermark.appid does not match this mini-program's appid")
    return parsed
