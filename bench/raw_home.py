"""A hand-written aiohttp handler running the same database queries as the GraphQL home
query: the baseline that shows what the GraphQL layer costs. Run as a separate process."""

from __future__ import annotations

import sys

import jwt
from aiohttp import web
from bson import ObjectId  # noqa: F401  (same BSON stack as the server)

from community_plus.platform import db as dbm
from community_plus.settings import load_settings


async def dispatch(request: web.Request) -> web.Response:
    """Both baselines on one route, chosen by the body as a server would."""
    body = await request.json()
    settings = request.app["settings"]
    claims = jwt.decode(request.headers["Authorization"][7:], settings.signing_key, algorithms=["HS256"],
                        issuer="community-plus")
    return await (residents if "residents(" in body["query"] else home)(request, claims)


async def residents(request: web.Request, claims: dict) -> web.Response:
    """`residents(first: 20, filter: {gridId}) { totalCount edges { node { name phone grid { name } } } }`
    for a grid worker: the page, its count, the grids (the same three commands)."""
    db = request.app["db"]
    grid_id = request.app["grid_of_query"](await request.json())
    visible = {"$and": [{"communityId": claims["community"], "gridId": {"$in": claims.get("grids", [])}},
                        {"gridId": grid_id}]}
    rows = await db.residents.find(visible).sort("_id", 1).limit(21).to_list()
    total = await db.residents.count_documents(visible)
    grids = {d["_id"]: d async for d in db.grids.find({"_id": {"$in": list({r["gridId"] for r in rows})}})}
    return web.json_response({"data": {"residents": {"totalCount": total, "edges": [{"node": {
        "name": r["name"], "phone": r.get("phoneMasked"),
        "grid": {"name": grids[r["gridId"]]["name"]} if r.get("gridId") in grids else None,
    }} for r in rows[:20]]}}})


async def home(request: web.Request, claims: dict) -> web.Response:
    db = request.app["db"]
    community = await db.regions.find_one({"_id": claims["community"]})
    visible = {"parties": {"$in": [p for p in (claims["sub"], claims.get("resident")) if p]}}
    orders = await db.work_orders.find(visible).sort("_id", -1).limit(21).to_list()
    total = await db.work_orders.count_documents(visible)
    items = {d["_id"]: d async for d in db.service_items.find({"_id": {"$in": [o["itemId"] for o in orders if o.get("itemId")]}})}
    users = {d["_id"]: d async for d in db.users.find({"_id": {"$in": [o["assigneeId"] for o in orders if o.get("assigneeId")]}})}
    path = [*community["path"], community["_id"]]
    rows = await db.module_settings.find({"regionId": {"$in": path}}).to_list()
    enabled = {r["module"]: r.get("enabled") for r in sorted(rows, key=lambda r: path.index(r["regionId"]))}
    return web.json_response({"data": {
        "me": {"name": claims["name"], "community": {"name": community["name"]}},
        "workOrders": {"totalCount": total, "edges": [{"node": {
            "id": o["_id"], "title": o["title"], "state": o["state"].upper(), "dueAt": o["dueAt"].isoformat(),
            "item": {"title": items[o["itemId"]]["title"]} if o.get("itemId") in items else None,
            "assignee": {"name": users[o["assigneeId"]].get("displayName")} if o.get("assigneeId") in users else None,
        }} for o in orders[:20]]},
        "modules": [{"name": k, "enabled": bool(v)} for k, v in sorted(enabled.items())],
    }})


async def database(app: web.Application):
    client = dbm.connect(app["settings"].mongodb_uri)
    app["db"] = dbm.database_of(client)
    yield
    await client.close()


def main() -> None:
    app = web.Application()
    app["settings"] = load_settings()
    app.cleanup_ctx.append(database)
    app["grid_of_query"] = lambda body: body["query"].split('gridId: "', 1)[1].split('"', 1)[0]
    app.router.add_post("/graphql", dispatch)
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)


if __name__ == "__main__":
    main()
