"""Deliver outbox messages as WeChat subscription messages.

Template keys in the outbox (`work_order_status`, `module_notice`) map to the mini-program's
template ids via `CP_WECHAT_TEMPLATES` (`key=templateId,…`). 43101 (no grant left), a bad
openid or template, and users without a WeChat identity are recorded, never retried.
"""

from __future__ import annotations

from typing import Any

from community_plus.domains.identity.repositories import IdentityRepositories
from community_plus.domains.notifications.service import PermanentDeliveryError
from community_plus.integrations.wechat.errors import (InvalidOpenid, InvalidPage, InvalidTemplate,
    NotSubscribed, WeChatConfigError)


def parse_templates(value: str | None) -> dict[str, str]:
    pairs = (p.split("=", 1) for p in (value or "").split(",") if "=" in p)
    return {k.strip(): v.strip() for k, v in pairs}


class WeChatSender:
    def __init__(self, platform: Any) -> None:
        self.platform = platform
        self.client = platform.wechat
        self.templates = parse_templates(platform.settings.wechat_templates)

    async def send(self, message: dict[str, Any]) -> None:
        template_id = self.templates.get(message["template"])
        if not template_id:
            raise PermanentDeliveryError("no_template", f"CP_WECHAT_TEMPLATES has no id for {message['template']!r}")
        identity = await IdentityRepositories.of(self.platform).identities.by_user(message["recipientUserId"])
        if identity is None:
            raise PermanentDeliveryError("no_recipient", "the user has no WeChat identity")
        try:
            await self.client.send_subscribe_message(identity["openid"], template_id, message["data"],
                                                     page=message.get("page"))
        except NotSubscribed as exc:
            raise PermanentDeliveryError("no_grant", str(exc)) from exc
        except (InvalidOpenid, InvalidTemplate, InvalidPage, WeChatConfigError) as exc:
            raise PermanentDeliveryError("rejected", str(exc)) from exc
