"""The Community+ module test harness (a pytest plugin, registered as `pytest11`).

Its fixtures (`community`, `cp_modules`, `cp_settings`, `cp_database`) need no import; import
the helper types for annotations::

    from community_plus_harness import Community, GraphQLClient
"""

from __future__ import annotations

from .plugin import PASSWORD, ROLES, Community, GraphQLClient, resident_token, staff_token

__all__ = ["PASSWORD", "ROLES", "Community", "GraphQLClient", "resident_token", "staff_token"]
