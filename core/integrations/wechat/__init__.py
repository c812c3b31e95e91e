"""WeChat server APIs: the client, its typed errors and legacy data decryption."""

from __future__ import annotations

from community_plus.integrations.wechat.client import ContentCheck, PhoneInfo, WeChatClient, WeChatSession
from community_plus.integrations.wechat.crypto import decrypt_legacy_phone
from community_plus.integrations.wechat.errors import (CodeUsed, InvalidArguments, InvalidCode, InvalidOpenid,
    InvalidPage, InvalidRequestFormat, InvalidScene, InvalidTemplate, InvalidToken, NotSubscribed, RiskyUser,
    UserInactive, WeChatBusy, WeChatConfigError, WeChatDataError, WeChatError, WeChatRateLimited,
    WeChatUnavailable)

__all__ = [
    "CodeUsed", "ContentCheck", "InvalidArguments", "InvalidCode", "InvalidOpenid", "InvalidPage",
    "InvalidRequestFormat", "InvalidScene", "InvalidTemplate", "InvalidToken", "NotSubscribed", "PhoneInfo",
    "RiskyUser", "UserInactive", "WeChatBusy", "WeChatClient", "WeChatConfigError", "WeChatDataError",
    "WeChatError", "WeChatRateLimited", "WeChatSession", "WeChatUnavailable", "decrypt_legacy_phone",
]
