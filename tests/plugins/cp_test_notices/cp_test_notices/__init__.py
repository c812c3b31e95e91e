"""A test module: a community notice board."""

from __future__ import annotations

import strawberry

from community_plus_sdk import CollectionSpec, GraphQLContribution, Model, Module, Permission, Stat, UserInputError, fields, hookimpl

module = Module(
    name="test_notices", title="测试公告栏", version="1.1.0", description="社区通知", icon="bell",
    entry_page="/pages/test_notices/index",
    permissions=[Permission("test_notices.notice.publish", "发布公告", roles=("community_admin", "grid_worker"))],
    settings_schema={"type": "object", "properties": {
        "maxPinned": {"type": "integer", "minimum": 0, "maximum": 10, "default": 3},
        "webhookToken": {"type": "string", "writeOnly": True}}},
)


class Notice(Model):
    """社区公告"""

    class Meta:
        collection = "notices"
        permissions = {"read": ["resident", "grid_worker", "community_admin"],
                       "create": ["test_notices.notice.publish"], "update": ["test_notices.notice.publish"],
                       "delete": ["community_admin"]}

    title = fields.String(required=True, max_length=50, filter=True)
    body = fields.Text(max_length=500)
    pinned = fields.Boolean(default=False, filter=True)
    category = fields.Choice(["活动", "通知", "提醒"], default="通知", filter=True)
    expires_on = fields.Date(filter=True, description="Last day the notice is shown.")


@strawberry.type
class NoticeBoardQuery:
    @strawberry.field(description="Pinned notices, at most the configured number.")
    async def pinned_notices(self, info: strawberry.Info) -> list[str]:
        ctx = module.context(info)
        limit = (await ctx.settings())["maxPinned"]
        rows = await ctx.collection("notices").find({"pinned": True}, sort=[("_id", -1)], limit=max(limit, 1))
        return [r["title"] for r in rows[:limit]]

    @strawberry.field(description="Tries to read another module's collection (must fail).")
    async def peek_at_wishes(self, info: strawberry.Info) -> int:
        return await module.context(info).collection("wishes").count()


@strawberry.type
class NoticeBoardMutation:
    @strawberry.mutation(description="Pin a notice, within the configured maximum.")
    async def pin_notice(self, info: strawberry.Info, id: strawberry.ID) -> bool:
        ctx = module.context(info)
        ctx.require_permission("test_notices.notice.publish")
        notices = ctx.collection("notices")
        if await notices.count({"pinned": True}) >= (await ctx.settings())["maxPinned"]:
            raise UserInputError({"id": "置顶公告已达上限 (the maximum of pinned notices is reached)"})
        return await notices.update({"_id": id}, {"pinned": True}) is not None


@hookimpl
def register_module():
    return module


@hookimpl
def register_models():
    return [Notice]


@hookimpl
def register_graphql():
    return GraphQLContribution(queries=[NoticeBoardQuery], mutations=[NoticeBoardMutation])


@hookimpl
def register_collections():
    return [CollectionSpec("migrations", indexes=[[("to", 1)]],
                           validator={"required": ["to"], "properties": {"to": {"bsonType": "string"}}})]


@hookimpl
async def migrate(ctx, from_version, to_version):
    await ctx.unscoped_collection("migrations").insert({"from": from_version, "to": to_version})


@hookimpl
async def on_event(ctx, event, payload):
    if event == "resident_created":
        await ctx.collection("notices").insert({"title": f"欢迎新居民{payload['resident']['name']}", "pinned": False,
                                                "category": "通知"})


@hookimpl
async def seed_demo_data(ctx, community_id):
    if not await ctx.collection("notices").count({"title": "演示公告"}):
        await ctx.collection("notices").insert({"title": "演示公告", "pinned": True, "category": "通知"})


@hookimpl
async def dashboard_statistics(ctx, community_id, since, until):
    return [Stat("notices", "公告数", await ctx.collection("notices").count())]
