"""The manifest of 村务公开: name, permissions (with their default roles) and settings."""

from __future__ import annotations

from community_plus_sdk import Module, Permission
from community_plus_sdk.console import ConsolePage

NAME = "village_affairs"
PAGE = "/pages/village_affairs/detail?id={id}"
CATEGORIES = ("finances", "assets", "projects", "subsidies", "decisions")

PERMISSIONS = [
    Permission("village_affairs.disclosure.publish", "发布、定时发布、撤回公开事项 (publish and withdraw disclosures)",
               roles=("community_admin",)),
    Permission("village_affairs.question.answer", "答复居民提问 (answer residents' questions officially)",
               roles=("community_admin",)),
    Permission("village_affairs.catalogue.manage", "维护年度公开目录 (maintain the yearly disclosure catalogue)",
               roles=("community_admin",)),
]

SETTINGS_SCHEMA = {
    "type": "object",
    "properties": {
        "graceDays": {
            "type": "integer", "minimum": 0, "maximum": 90, "default": 10, "title": "公开期限（期末后天数）",
            "description": "A catalogue item is due this many days after its period ends (e.g. the 10th of the "
                           "next month for monthly finances); not disclosed by then, it is OVERDUE."},
    },
}

module = Module(
    name=NAME,
    title="村务公开",
    version="0.1.0",
    description="村（居）务公开：财务、资产、项目、补贴、决策公开与群众问答",
    icon="notice",
    entry_page="/pages/village_affairs/index",
    permissions=PERMISSIONS,
    settings_schema=SETTINGS_SCHEMA,
    console_pages=(ConsolePage("disclosures", "村务公开", "disclosures.js", roles=("community_admin",),
                               description="发布与撤回公开事项，阅读与提问情况，答复提问，年度公开目录"),),
)
