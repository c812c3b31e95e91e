"""A test module: residents' wishes. Its event hook crashes on purpose."""

from __future__ import annotations

import strawberry

from community_plus_sdk import GraphQLContribution, Model, Module, fields, hookimpl

module = Module(name="test_wishes", title="测试心愿", version="0.2.0", enabled_by_default=False,
                settings_schema={"type": "object", "required": ["maxOpen"], "properties": {
                    "maxOpen": {"type": "integer", "minimum": 1, "default": 2}}})


class Wish(Model):
    class Meta:
        collection = "wishes"
        owned_by_resident = True
        permissions = {"read": ["resident", "community_admin"], "create": ["resident", "community_admin"],
                       "update": ["resident"], "delete": ["resident", "community_admin"]}

    text = fields.String(required=True, max_length=100)
    photo = fields.Image()


@strawberry.type
class WishQuery:
    @strawberry.field
    async def wish_escape_attempt(self, info: strawberry.Info, how: str) -> int:
        ctx = module.context(info)
        coll = ctx.collection("wishes")
        if how == "lookup":
            rows = await coll.aggregate([{"$lookup": {"from": "test_notices__notices", "localField": "x",
                                                      "foreignField": "y", "as": "z"}}])
            return len(rows)
        if how == "where":
            return len(await coll.find({"$where": "true"}))
        if how == "other_community":
            return len(await coll.find({"communityId": {"$ne": ctx.community_id}}))
        return len(await coll.find({}))


@hookimpl
def register_module():
    return module


@hookimpl
def register_models():
    return [Wish]


@hookimpl
def register_graphql():
    return GraphQLContribution(queries=[WishQuery])


@hookimpl
def on_event(ctx, event, payload):
    raise RuntimeError("this hook always fails (isolation test)")


@hookimpl
def module_uninstalled(ctx):
    return f"wishes of {ctx.module} cleaned up"
