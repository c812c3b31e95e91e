"""`subscriptionTemplates`: the WeChat subscription-message template ids a mini-program asks
the user to accept with `wx.requestSubscribeMessage`, read from `CP_WECHAT_TEMPLATES` so that
front ends never hard-code them (the same mapping the outbox sends with)."""

from __future__ import annotations

import strawberry

from community_plus.domains.identity.wechat_sender import parse_templates
from community_plus.platform.context import Ctx


@strawberry.type(description="A subscription-message template: the key the server sends under, and its WeChat id.")
class SubscriptionTemplate:
    key: str = strawberry.field(description="What the message is about: work_order_status, module_notice…")
    template_id: str = strawberry.field(description="Pass to wx.requestSubscribeMessage({tmplIds}).")


@strawberry.type
class TemplatesQuery:
    @strawberry.field(description="Subscription-message templates to request with wx.requestSubscribeMessage "
                                  "(public: template ids ship in every mini-program anyway).")
    def subscription_templates(self, info: Ctx) -> list[SubscriptionTemplate]:
        templates = parse_templates(info.context.settings.wechat_templates)
        return [SubscriptionTemplate(key=k, template_id=v) for k, v in sorted(templates.items()) if k and v]
