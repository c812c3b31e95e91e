"""The events subscriptions deliver and how they are routed (documents: `platform/event_log.py`).

`routes` are the keys a subscription can listen on (the community, each region above it,
named users and residents, or everything); the hub narrows candidates by key before it
evaluates a subscription's own filter, so an event costs its audience, not every socket.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bson import ObjectId

from community_plus.platform.event_log import MODULE_STATE, event_doc
from community_plus.realtime.cursor import Position

ALL = ("all",)

Route = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Event:
    """One delivered event (immutable: every subscriber shares the same object)."""

    position: Position
    topic: str
    community_id: str | None
    region_path: tuple[str, ...]
    users: tuple[str, ...]
    residents: tuple[str, ...]
    module: str | None
    payload: dict[str, Any]
    created_at: datetime

    @property
    def id(self) -> ObjectId:
        return self.position.id

    @property
    def cursor(self) -> str:
        return self.position.cursor()

    @classmethod
    def of(cls, position: Position, doc: dict[str, Any]) -> Event:
        return cls(position=position, topic=doc["topic"], community_id=doc.get("communityId"),
                   region_path=tuple(doc.get("regionPath") or ()), users=tuple(doc.get("users") or ()),
                   residents=tuple(doc.get("residents") or ()), module=doc.get("module"),
                   payload=doc.get("payload") or {}, created_at=doc.get("createdAt") or datetime.now(UTC))

    def routes(self) -> list[Route]:
        keys: list[Route] = [ALL]
        if self.community_id:
            keys.append(("community", self.community_id))
        keys += [("region", r) for r in self.region_path]
        keys += [("user", u) for u in self.users]
        keys += [("resident", r) for r in self.residents]
        return keys


def module_state_event(region: dict[str, Any], module: str, change: str) -> dict[str, Any]:
    """A module was switched (or its settings changed) at a region: every community at or
    below it may have a different module set now (routed on the region itself)."""
    return event_doc(MODULE_STATE, {"regionId": region["_id"], "module": module, "change": change},
                     community_id=region["_id"] if region.get("level") == "community" else None,
                     region_path=[region["_id"]])


def module_event(module: str, topic: str, community: dict[str, Any], payload: dict[str, Any],
                 users: list[str] | None, permission: str | None) -> dict[str, Any]:
    """An event a module publishes with `ModuleContext.publish` (scoped to one community)."""
    doc = event_doc(f"{module}:{topic}", {"data": payload, "permission": permission, "audience": users is not None},
                    community_id=community["_id"], region_path=[*community.get("path", []), community["_id"]],
                    users=users or [], module=module)
    return doc
