"""Subscriptions are scoped exactly like the queries: for every kind of viewer, the work
orders `workOrderUpdated` would deliver (the in-memory evaluation of the service's own
`visible_filter`, behind the routing keys) are exactly those MongoDB returns for it."""

from __future__ import annotations

from community_plus.platform.access import Scope
from community_plus.platform.context import RequestContext
from community_plus.realtime.api import scope_routes
from community_plus.domains.work_orders.events import work_order_event
from community_plus.realtime.events import Event
from community_plus.realtime.cursor import Position
from community_plus.realtime.match import matches
from community_plus.domains.identity.auth import principal_of
from community_plus.domains.work_orders.service import WorkOrderService
from bson import ObjectId
import pytest


async def _viewers(platform, communities) -> list[Scope]:
    scopes: list[Scope] = []
    for username in ("admin", "nanjing", f"admin{communities[0]['_id'][-3:]}", "hotline001", "street001", "district001",
                     "dept001"):
        scopes.append(Scope(principal=principal_of(await platform.users.by_username(username))))
    for role in ("grid_worker", "resident"):
        for user in await platform.users.coll.find({"role": role}).limit(3).to_list():
            scopes.append(Scope(principal=principal_of(user), community_id=user.get("communityId")))
    for username in ("admin", "nanjing"):  # staff narrowed to one community (X-Community-Id)
        scopes.append(Scope(principal=principal_of(await platform.users.by_username(username)),
                            community_id=communities[1]["_id"]))
    return scopes


async def test_subscription_scope_equals_query_scope(platform):
    from community_plus.demo.seed import seed

    await seed(platform, communities=2, residents_per_community=8, grids_per_community=2, work_orders_per_community=12)
    communities = await platform.regions.coll.find({"level": "community"}).sort("_id", 1).to_list()
    orders = await platform.work_orders.coll.find({}).to_list()
    assert len(orders) >= 20
    viewers = await _viewers(platform, communities)
    # residents bound to the subjects of some orders; one of them also submitted another order
    for order in orders[:3]:
        user = {"_id": f"u-{order['_id']}", "role": "resident", "displayName": "居民",
                "residentId": order["residentId"], "communityId": order["communityId"]}
        await platform.users.insert(user)
        viewers.append(Scope(principal=principal_of(user), community_id=user["communityId"]))
    await platform.work_orders.coll.update_one({"_id": orders[-1]["_id"]},
                                               {"$set": {"submittedBy": f"u-{orders[0]['_id']}",
                                                         "parties": [f"u-{orders[0]['_id']}", orders[-1]["residentId"]]}})
    orders = await platform.work_orders.coll.find({}).to_list()
    checked = 0
    for scope in viewers:
        ctx = RequestContext(platform=platform, scope=scope, request_id="t")
        flt = WorkOrderService(ctx).visible_filter()
        queried = {d["_id"] for d in await platform.work_orders.coll.find(flt, {"_id": 1}).to_list()}
        routes = set(scope_routes(scope))
        delivered = set()
        for order in orders:
            event = Event.of(Position(1, 1, ObjectId()), {**work_order_event(order, None), "_id": ObjectId()})
            if routes & set(event.routes()) and matches(flt, order):
                delivered.add(order["_id"])
        assert delivered == queried, (scope.principal.role, scope.community_id)
        checked += bool(queried)
    assert checked >= 5  # most viewers see some orders: the comparison is not vacuous


@pytest.mark.parametrize("flt, doc, expected", [
    ({"regionPath": "r1"}, {"regionPath": ["r0", "r1"]}, True),
    ({"gridId": {"$in": ["g1", "g2"]}}, {"gridId": "g2"}, True),
    ({"gridId": {"$in": ["g1"]}}, {"gridId": None}, False),
    ({"$or": [{"a": 1}, {"b": 2}]}, {"b": 2}, True),
    ({"$and": [{"a": 1}, {"b": 2}]}, {"a": 1, "b": 3}, False),
    ({"read": {"$ne": True}}, {}, True),
    ({"x.y": 1}, {"x": {"y": 1}}, True),
    ({"missing": None}, {}, True),
])
def test_matcher_follows_mongodb_semantics(flt, doc, expected):
    assert matches(flt, doc) is expected


def test_matcher_refuses_operators_it_does_not_know():
    with pytest.raises(ValueError):
        matches({"n": {"$gt": 1}}, {"n": 2})
