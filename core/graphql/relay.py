"""Relay-style connections (`edges { cursor node }`, `pageInfo`, `totalCount`): the SDK's
types and helper, shared by the core and every module (`community_plus_sdk.relay`)."""

from __future__ import annotations

from community_plus_sdk.relay import DEFAULT_FIRST, Connection, Edge, PageInfo, connection

__all__ = ["DEFAULT_FIRST", "Connection", "Edge", "PageInfo", "connection"]
