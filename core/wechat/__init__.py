"""WeChat server APIs: the client, its typed errors and legacy data decryption."""

from __future__ import annotations

from .client import ContentCheck, PhoneInfo, WeChatClient, WeChatSession
from .crypto import decrypt_legacy_phone
from .errors import (CodeUsed, InvalidArguments, InvalidCode, InvalidOpenid, InvalidPage, InvalidRequestFormat,
                     InvalidScene, InvalidTemplate, InvalidToken, NotSubscribed, RiskyUser, UserInactive,
                     WeChatBusy, WeChatConfigError, WeChatDataError, WeChatError, WeChatRateLimited,
                     WeChatUnavailable)

__all__ = [
    "CodeUsed", "ContentCheck", "InvalidArguments", "InvalidCode", "InvalidOpenid", "InvalidPage",
    "InvalidRequestFormat", "InvalidScene", "InvalidTemplate", "InvalidToken", "NotSubscribed", "PhoneInfo",
    "RiskyUser", "UserInactive", "WeChatBusy", "WeChatClient", "WeChatConfigError", "WeChatDataError",
    "WeChatError", "WeChatRateLimited", "WeChatSession", "WeChatUnavailable", "decrypt_legacy_phone",
]
