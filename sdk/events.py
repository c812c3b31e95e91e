"""Realtime events a module publishes and its subscribers receive.

Declare the topics with the `register_topics` hook, publish with `ctx.publish` (it commits
with the change when called inside `ctx.transaction`), and serve them from your own
subscription field with `ctx.subscribe`::

    from collections.abc import AsyncGenerator

    import strawberry
    from community_plus_sdk import GraphQLContribution, Topic, hookimpl

    @hookimpl
    def register_topics():
        return [Topic("visit_checked_in", "一次上门探访已签到 (a care visit was checked in)")]

    @strawberry.type
    class VisitCheckedIn:
        cursor: str
        visit_id: strawberry.ID

    @strawberry.type
    class CareSubscription:
        @strawberry.subscription
        async def care_visit_checked_in(self, info: strawberry.Info,
                                        after: str | None = None) -> AsyncGenerator[VisitCheckedIn, None]:
            async for event in module.context(info).subscribe("visit_checked_in", after=after):
                yield VisitCheckedIn(cursor=event.cursor, visit_id=event.data["visitId"])

    # in a mutation, after (or inside) the write:
    await ctx.publish("visit_checked_in", {"visitId": visit["_id"]}, permission="elder_care.visit.read")
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Topic:
    """A kind of event a module publishes (`name` in lower_snake_case, unique in the module).

    Example: ``Topic("meal_served", "餐食已送达 (a meal was served)")``."""

    name: str
    description: str = ""


@dataclass(frozen=True)
class ModuleEvent:
    """One event as a module's subscription receives it.

    `cursor` is what the client passes back as `after` to resume after this event;
    `data` is the dict given to `ctx.publish`. Example: ``event.data["visitId"]``."""

    cursor: str
    topic: str
    data: dict[str, Any] = field(default_factory=dict)
    at: datetime | None = None
