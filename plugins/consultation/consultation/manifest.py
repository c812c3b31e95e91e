"""The manifest of 居民议事: name, permissions (with their default roles) and settings."""

from __future__ import annotations

from community_plus_sdk import Module, Permission
from community_plus_sdk.console import ConsolePage

NAME = "consultation"
PAGE = "/pages/consultation/detail?id={id}"

OPEN_TOPIC = "consultation.topic.open"
RESOLVE_TOPIC = "consultation.topic.resolve"
READ_OPINIONS = "consultation.opinion.read"

PERMISSIONS = [
    Permission(OPEN_TOPIC, "发起议题、听证与评议 (open topics; grid workers for their own grids)",
               roles=("community_admin", "grid_worker")),
    Permission(RESOLVE_TOPIC, "截止后公布决议 (publish resolutions after the deadline)",
               roles=("community_admin", "grid_worker")),
    Permission(READ_OPINIONS, "查看居民书面意见 (read residents' written opinions)",
               roles=("community_admin", "grid_worker")),
]

SETTINGS_SCHEMA = {
    "type": "object",
    "properties": {
        "liveResults": {
            "type": "boolean", "default": True, "title": "投票期间公开实时结果",
            "description": "Residents see the (anonymous) results while voting runs; off: only after the deadline. "
                           "Staff always see them."},
        "maxVotingDays": {
            "type": "integer", "minimum": 1, "maximum": 365, "default": 60, "title": "投票期最长（天）",
            "description": "A topic's deadline is at most this many days after it is opened."},
    },
}

module = Module(
    name=NAME,
    title="居民议事",
    version="0.1.0",
    description="协商议事：议题表决、听证评议、决议公开与归档",
    icon="chat",
    entry_page="/pages/consultation/index",
    permissions=PERMISSIONS,
    settings_schema=SETTINGS_SCHEMA,
    console_pages=(ConsolePage("topics", "居民议事", "topics.js", roles=("community_admin",),
                               description="发起与修改议题，查看各网格参与率，公布决议"),),
)
