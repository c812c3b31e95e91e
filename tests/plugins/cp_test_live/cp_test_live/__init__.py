"""A test module with realtime events: check-ins published with `ctx.publish`, served by
its own subscription with `ctx.subscribe` (switched off by default)."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from community_plus_sdk import GraphQLContribution, Module, Topic, hookimpl

module = Module(name="test_live", title="测试签到", version="0.1.0", description="实时签到")


@strawberry.type
class LiveCheckIn:
    cursor: str
    note: str
    by: str


@strawberry.type
class LiveMutation:
    @strawberry.mutation(description="Check in; only_me narrows the audience to the caller.")
    async def live_check_in(self, info: strawberry.Info, note: str, only_me: bool = False) -> bool:
        ctx = module.context(info)
        caller = ctx.require_caller()
        await ctx.publish("checked_in", {"note": note, "by": caller.user_id},
                          user_ids=[caller.user_id] if only_me else None)
        return True

    @strawberry.mutation(description="Notify the caller (WeChat message + notificationReceived).")
    async def live_notify(self, info: strawberry.Info, title: str) -> bool:
        ctx = module.context(info)
        await ctx.notify([ctx.require_caller().user_id], title, "已签到")
        return True

    @strawberry.mutation(description="A check-in only staff receive.")
    async def live_staff_notice(self, info: strawberry.Info, note: str) -> bool:
        ctx = module.context(info)
        await ctx.publish("checked_in", {"note": note, "by": ctx.require_caller().user_id},
                          permission="community_admin")
        return True


@strawberry.type
class LiveSubscription:
    @strawberry.subscription(description="Check-ins in this community.")
    async def live_checked_in(self, info: strawberry.Info,
                              after: str | None = None) -> AsyncGenerator[LiveCheckIn, None]:
        async for event in module.context(info).subscribe("checked_in", after=after):
            yield LiveCheckIn(cursor=event.cursor, note=event.data["note"], by=event.data["by"])


@hookimpl
def register_module():
    return module


@hookimpl
def register_topics():
    return [Topic("checked_in", "有人签到 (someone checked in)")]


@hookimpl
def register_graphql():
    return GraphQLContribution(queries=[], mutations=[LiveMutation], subscriptions=[LiveSubscription])
