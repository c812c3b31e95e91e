"""Sharding readiness without a cluster (issue 18).

Every root query field of the published SDL (core and every module) runs against a realistic
seeded province — modules enabled, work orders, a resident with an account — as a community
admin, a grid worker and a resident, with arguments taken from the seeded data. A PyMongo
command listener records each command those requests send (attributed by request id), and:

1. every command on a collection of core/platform/sharding.py's registry is *targeted*:
   its filter carries `communityId`, or it is a point lookup by `_id`, or it is one of the
   documented cross-community reads (`CROSS_COMMUNITY`); inserts carry `communityId`;
2. every distinct query shape (collection, command, filter with values blanked, sort) is
   explained on SecantusDB and must not scan the collection.

SecantusDB's explain has MongoDB's shape (`queryPlanner.winningPlan` with `IXSCAN`/`FETCH`/
`COLLSCAN` stages; aggregate explains put it under `stages[0].$cursor` and at the top level),
but its planner is simpler than mongod's: it plans flat filters of equalities plus at most
one trailing range or `$in` on a compound index whose leading fields are exactly those, never
an `$and`/`$or` or `$all`. A shape that plans on SecantusDB plans on MongoDB too. Its explain
of `update`/`delete` reports an empty parsed query (always COLLSCAN), so writes are explained
as the `find` of their filter, which is the index selection both make.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
import structlog
from graphql import (GraphQLEnumType, GraphQLInputObjectType, GraphQLList, GraphQLNonNull, GraphQLObjectType,
                     build_schema, get_named_type, is_leaf_type)
from pymongo import MongoClient, monitoring

from community_plus.platform import sharding
from community_plus.platform.repository import merge_clauses
from community_plus.settings import load_settings

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schema"
WRITES = {"insert", "update", "delete", "findAndModify"}
READS = {"find", "count", "aggregate", "distinct"}


class Recorder(monitoring.CommandListener):
    """Commands sent on behalf of HTTP requests (they carry the request id) to one database."""

    database: str | None = None

    def __init__(self) -> None:
        self.commands: list[tuple[str, str, dict[str, Any]]] = []

    def started(self, event):
        if event.database_name != self.database or not structlog.contextvars.get_contextvars().get("request_id"):
            return
        name = event.command_name
        if name in READS | WRITES:
            cmd = event.command
            self.commands.append((name, cmd.get(name), dict(cmd)))

    def succeeded(self, event):
        pass

    def failed(self, event):
        pass


RECORDER = Recorder()
monitoring.register(RECORDER)  # applies to clients created from here on: the app's, in this module's tests


@pytest.fixture
def settings(db_uri, tmp_path):
    RECORDER.database = db_uri.rsplit("/", 1)[1].split("?")[0]
    return load_settings(MONGODB_URI=db_uri, CP_DATA_DIR=str(tmp_path), CP_ENV="dev", CP_LOG_FORMAT="console",
                         CP_BACKGROUND_JOBS="false", CP_ACCESS_LOG="false",
                         CP_RATE_LIMITS="community_admin=1000000,grid_worker=1000000,resident=1000000")


# -- what each command filters on ----------------------------------------------------------------
def filters_of(name: str, cmd: dict[str, Any]) -> list[tuple[dict[str, Any], dict[str, Any] | None]]:
    """(filter, sort) pairs a command selects documents with."""
    if name == "find":
        return [(cmd.get("filter") or {}, cmd.get("sort"))]
    if name in ("count", "distinct"):
        return [(cmd.get("query") or {}, None)]
    if name == "findAndModify":
        return [(cmd.get("query") or {}, cmd.get("sort"))]
    if name == "update":
        return [(u.get("q") or {}, None) for u in cmd.get("updates", [])]
    if name == "delete":
        return [(d.get("q") or {}, None) for d in cmd.get("deletes", [])]
    if name == "aggregate":
        pipeline = cmd.get("pipeline") or []
        first = pipeline[0] if pipeline else {}
        match = first.get("$match", {}) if isinstance(first, dict) else {}
        sort = pipeline[1].get("$sort") if len(pipeline) > 1 and "$sort" in pipeline[1] else None
        return [(match, sort)]
    return []


def top_fields(f: dict[str, Any]) -> set[str]:
    """The fields a filter pins at its top level (through `$and`; an `$or` pins what all its
    branches pin, and contributes `$or:<field>` for what some branch pins)."""
    out = set()
    for k, v in f.items():
        if k == "$and":
            for clause in v:
                out |= top_fields(clause)
        elif k == "$or" and v:
            branches = [top_fields(b) for b in v]
            out |= set.intersection(*branches) | {f"$or:{x}" for b in branches for x in b}
        elif not k.startswith("$"):
            out.add(k)
    return out


def targeting(coll: str, name: str, cmd: dict[str, Any]) -> str | None:
    """Why a command on a sharded collection is acceptable, or None when it is untargeted."""
    if name == "insert":
        return "insert" if all("communityId" in d for d in cmd.get("documents", [])) else None
    cross = set(sharding.CROSS_COMMUNITY.get(coll, {}))
    reasons = set()
    for f, _sort in filters_of(name, cmd):
        fields = top_fields(f)
        ored = [b for b in f.get("$or", [])]
        if "communityId" in fields:
            reasons.add("community")
        elif sharding.POINT_LOOKUP in fields:
            reasons.add("point lookup")
        elif fields & cross or (ored and all(top_fields(b) & cross for b in ored)):
            reasons.add("cross-community")
        else:
            return None
    return ",".join(sorted(reasons)) or "community"


def shape(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple(sorted((k, shape(v) if k.startswith("$") or isinstance(v, dict) else "?") for k, v in value.items()))
    if isinstance(value, list):
        return tuple(shape(v) for v in value) if value and isinstance(value[0], dict) else "[?]"
    return "?"


def canonical(f: dict[str, Any]) -> list[dict[str, Any]]:
    """The filters mongod's planner plans for `f`: nested `$and`s flattened and merged (as
    its canonicalizer does; `merge_clauses`), an `$or` planned branch by branch with the rest
    of the conjunction (an indexed OR: every branch needs an index). SecantusDB plans the
    flat forms only, so each of them is explained there."""
    def conjuncts(g: dict[str, Any]) -> list[dict[str, Any]]:
        out = []
        for k, v in g.items():
            if k == "$and":
                for clause in v:
                    out += conjuncts(clause)
            else:
                out.append({k: v})
        return out

    parts = conjuncts(f)
    ors = [p["$or"] for p in parts if "$or" in p]
    rest = [p for p in parts if "$or" not in p]
    if not ors:
        merged = merge_clauses(*rest)
        point = merged.get("_id")
        if point is not None and (not isinstance(point, dict) or set(point) == {"$in"}):
            return [{"_id": point}]  # mongod answers a lookup by _id from the _id index, whatever else it filters
        return [merged]
    out = []
    for branch in ors[0]:
        others = [{"$or": o} for o in ors[1:]]
        out += canonical({"$and": [*rest, branch, *others]})
    return out


def plan_stages(explained: Any) -> list[str]:
    stages, stack = [], [explained]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if "stage" in item:
                stages.append(item["stage"])
            stack.extend(v for k, v in item.items() if k not in ("rejectedPlans", "command"))
        elif isinstance(item, list):
            stack.extend(item)
    return stages


# -- the operations --------------------------------------------------------------------------------
def selection(t, depth: int = 0) -> str:
    named = get_named_type(t)
    if is_leaf_type(named):
        return ""
    if not isinstance(named, GraphQLObjectType):
        return " { __typename }"
    parts = []
    for fname, fld in named.fields.items():
        if any(isinstance(a.type, GraphQLNonNull) for a in fld.args.values()):
            continue
        inner = get_named_type(fld.type)
        if is_leaf_type(inner):
            parts.append(fname)
        elif depth < 2 and isinstance(inner, GraphQLObjectType) and (fname in ("edges", "node") or depth == 0):
            parts.append(fname + selection(fld.type, depth + 1))
    return " { " + " ".join(parts or ["__typename"]) + " }"


def operations() -> list[tuple[str, str, dict[str, Any]]]:
    """(root field, document, {argument: type}) for every Query field of every SDL file."""
    seen: dict[str, tuple[str, str, dict[str, Any]]] = {}
    for path in sorted(SCHEMA_DIR.glob("*.graphql")):
        schema = build_schema(path.read_text())
        for name, fld in schema.query_type.fields.items():
            if name in seen:
                continue
            decl = ", ".join(f"${a}: {arg.type}" for a, arg in fld.args.items())
            call = ", ".join(f"{a}: ${a}" for a in fld.args)
            doc = (f"query Q{'(' + decl + ')' if decl else ''} "
                   f"{{ {name}{'(' + call + ')' if call else ''}{selection(fld.type)} }}")
            seen[name] = (name, doc, {a: arg.type for a, arg in fld.args.items()})
    return list(seen.values())


def value_for(arg: str, t, ids: dict[str, str]) -> tuple[bool, Any]:
    """A realistic value for an argument, or (False, None) when none can be made."""
    required = isinstance(t, GraphQLNonNull)
    named = get_named_type(t)
    if arg in ids:
        return True, ids[arg]
    if arg == "first":
        return True, 5
    if isinstance(named, GraphQLEnumType):
        return (True, next(iter(named.values))) if required else (True, None)
    if isinstance(named, GraphQLInputObjectType):
        if any(isinstance(f.type, GraphQLNonNull) for f in named.fields.values()):
            return (False, None) if required else (True, None)
        return True, {}
    if not required:
        return True, None
    scalar = named.name
    if isinstance(t.of_type, GraphQLList):
        return True, []
    if scalar == "ID":
        return True, ids["community"]
    if scalar == "Int":
        return True, 2026 if arg == "year" else 1
    if scalar == "Float":
        return True, 118.78 if "lon" in arg else 32.04
    if scalar == "Boolean":
        return True, False
    if scalar == "Date":
        return True, dt.date.today().isoformat()
    if scalar == "DateTime":
        return True, dt.datetime.now(dt.UTC).isoformat()
    if scalar == "String":
        return True, {"month": dt.date.today().strftime("%Y-%m"), "module": "elder_care"}.get(arg, "1")
    return False, None


@pytest.fixture
async def province(platform):
    from community_plus.modules.seeding import seed_modules
    from community_plus.demo.seed import seed
    from workorder_fixtures import resident_token

    await seed(platform, communities=2, residents_per_community=40, grids_per_community=2,
               work_orders_per_community=20, extra=seed_modules)
    community = await platform.regions.coll.find_one({"level": "community"}, sort=[("_id", 1)])
    resident = await platform.residents.coll.find_one({"communityId": community["_id"], "relation": "self",
                                                       "phoneHash": {"$ne": None}})
    order = await platform.work_orders.coll.find_one({"communityId": community["_id"]})
    grid = await platform.grids.coll.find_one({"communityId": community["_id"]}, sort=[("_id", 1)])
    worker = await platform.users.coll.find_one({"role": "grid_worker", "gridIds": grid["_id"]})
    item = await platform.service_items.coll.find_one({})
    return {"resident_token": await resident_token(platform, resident), "worker": worker["username"],
            "admin": f"admin{community['_id'][-3:]}", "street": community["path"][-1],
            "ids": {"communityId": community["_id"], "community": community["_id"], "gridId": grid["_id"],
                    "workOrderId": order["_id"], "residentId": resident["_id"], "orderId": order["_id"],
                    "itemId": item["_id"], "phone": platform.residents.reveal(resident, "phone")},
            "resident": resident, "order": order, "grid": grid, "item": item}


def one_range(f: dict[str, Any]) -> list[dict[str, Any]]:
    """`f` itself, or, when it has several operator (range) fields — which SecantusDB never
    plans and mongod plans as index bounds on one of them and a filter on the others — `f`
    with all operator fields but one: mongod's candidate index scans."""
    ranges = [k for k, v in f.items() if isinstance(v, dict)]
    if len(ranges) < 2:
        return [f]
    return [{k: v for k, v in f.items() if k == keep or k not in ranges} for keep in ranges]


async def indexed(db, command: dict[str, Any], kind: str, f: dict[str, Any]) -> bool:
    command = {**command, ("query" if kind == "count" else "filter"): f}
    explained = await asyncio.to_thread(db.command, "explain", command)
    return "COLLSCAN" not in plan_stages(explained.get("queryPlanner", explained))


async def test_every_command_is_targeted_and_index_backed(gql, platform, province):
    platform_admin = await gql.login("admin")
    for module in (await gql.ok("query($c: ID) { modules(communityId: $c) { name } }",
                                       {"c": province["ids"]["community"]}, token=platform_admin))["modules"]:
        await gql.ok("mutation($c: ID!, $m: String!) { setModuleEnabled(communityId: $c, module: $m, enabled: true) "
                     "{ name } }", {"c": province["ids"]["community"], "m": module["name"]}, token=platform_admin)
    tokens = {"community_admin": await gql.login(province["admin"]), "grid_worker": await gql.login(province["worker"]),
              "resident": province["resident_token"]}
    ids = province["ids"]
    specific_ids = {"resident": province["resident"]["_id"], "workOrder": province["order"]["_id"],
                    "grid": province["grid"]["_id"], "serviceItem": province["item"]["_id"],
                    "region": ids["community"], "community": ids["community"]}
    answered: dict[str, set[str]] = defaultdict(set)
    failures: dict[str, set] = defaultdict(set)
    RECORDER.commands.clear()
    ops = operations()
    extra = [  # the searches of the console and the grid worker's page, and region statistics
        ("residents", "query($f: ResidentFilter) { residents(first: 20, filter: $f) { totalCount edges { node { "
                      "id name phone grid { name } } } } }",
         [{"f": {"namePrefix": province["resident"]["name"][:1]}}, {"f": {"tags": ["ELDERLY"]}},
          {"f": {"gridId": province["grid"]["_id"], "tags": ["ELDERLY"]}},
          {"f": {"namePrefix": province["resident"]["name"][:1], "tags": ["ELDERLY"]}}, {"f": {"registered": True}}]),
    ]
    region_stats = ("query($r: ID) { statistics(regionId: $r) { total byState { key count } } "
                    "residents(first: 5) { totalCount edges { node { id name } } } }")
    for role, token in tokens.items():
        for name, doc, args in ops:
            variables, ok = {}, True
            for arg, arg_type in args.items():
                if arg == "id" and name in specific_ids:
                    made, value = True, specific_ids[name]
                else:
                    made, value = value_for(arg, arg_type, ids)
                ok &= made
                variables[arg] = value
            if not ok:
                continue
            body = await gql(doc, variables, token=token)
            if body.get("data") and body["data"].get(name) is not None:
                answered[name].add(role)
            else:
                failures[name].add((role, str(body.get("errors"))[:300]))
        if role == "community_admin":
            for name, doc, variable_sets in extra:
                for variables in variable_sets:
                    body = await gql(doc, variables, token=token)
                    assert not body.get("errors"), body
    # the deliberate cross-community reads: a region admin's street statistics and resident list
    await gql.ok(region_stats, {"r": province["street"]}, token=await gql.login("nanjing"))
    unanswered = {k: sorted(v)[0] for k, v in failures.items() if k not in answered}
    assert len(answered) >= len(ops) * 0.6, f"only {len(answered)} of {len(ops)} root fields answered: {unanswered}"

    untargeted, shapes = [], {}
    for name, coll, cmd in RECORDER.commands:
        if sharding.shard_key(coll) is not None and targeting(coll, name, cmd) is None:
            untargeted.append((coll, name, filters_of(name, cmd) or cmd.get("documents", [])[:1]))
        for f, sort in filters_of(name, cmd):
            shapes.setdefault((coll, "find" if name != "count" else "count", shape(f), shape(sort or {})), (f, sort))
    assert RECORDER.commands, "no command was recorded"
    assert not untargeted, "\n".join(map(str, untargeted))

    sync = MongoClient(platform.settings.mongodb_uri)
    try:
        db = sync.get_default_database()
        scans = []
        for (coll, kind, _, _), (original, sort) in shapes.items():
            for f in canonical(original):
                if kind == "count":
                    command = {"count": coll, "query": f}
                else:
                    command = {"find": coll, "filter": f, **({"sort": sort} if sort else {})}
                if not any([await indexed(db, command, kind, variant) for variant in one_range(f)]):
                    scans.append((coll, kind, f, sort))
    finally:
        sync.close()
    assert not scans, f"{len(scans)} of {len(shapes)} query shapes scan a collection:\n" + "\n".join(map(str, scans))

    # `sh.shardCollection` would accept every sharded collection as the registry keys it: a
    # unique index must start with the whole shard key, and some plain index must serve the key.
    sync = MongoClient(platform.settings.mongodb_uri)
    try:
        db = sync.get_default_database()
        refused, checked = [], 0
        for coll in sorted(db.list_collection_names()):
            key = sharding.shard_key(coll)
            if key is None:
                continue
            checked += 1
            prefix = list(key.items())
            indexes = list(db[coll].list_indexes())
            refused += [(coll, ix["name"], dict(ix["key"])) for ix in indexes
                        if ix.get("unique") and ix["name"] != "_id_" and list(ix["key"].items())[:len(prefix)] != prefix]
            if not any(list(ix["key"].items())[:len(prefix)] == prefix and not ix.get("sparse")
                       and "partialFilterExpression" not in ix for ix in indexes):
                refused.append((coll, "no index serves the shard key", key))
    finally:
        sync.close()
    assert checked >= 12 and not refused, refused
