"""The Community+ module test harness (a pytest plugin, registered as `pytest11`).

Its fixtures (`community`, `wechat_sent`, `cp_modules`, `cp_settings`, `cp_database`,
`cp_wechat`) need no import; import the helper types for annotations::

    from community_plus_harness import Community, GraphQLClient, SentMessage, SentMessages
"""

from __future__ import annotations

from .plugin import PASSWORD, ROLES, Community, GraphQLClient, resident_token, staff_token
from .wechat import FakeWeChatServer, SentMessage, SentMessages

__all__ = ["PASSWORD", "ROLES", "Community", "FakeWeChatServer", "GraphQLClient", "SentMessage", "SentMessages",
           "resident_token", "staff_token"]
