"""Shard keys: the one place that says how community data spreads over a sharded cluster.

Every collection that holds community data is sharded on `{communityId: 1}` (ranged): one
community's documents stay together on one shard (a community is small: thousands of
residents, a few MB of orders a year), the 20,000+ communities of a province spread over the
shards. A unique index of a sharded collection must start with the whole shard key, so the
key is the community alone: per-community rules (work-order numbers, one return visit per
order, a module's `unique=` fields, exactly-once stamps) are indexes that start with
`communityId`, and the platform-wide ones (an ID number registered once) are claims in the
unsharded `unique_values` (platform/unique_values.py). The audit log, which only grows and
has no unique rule, is sharded on `{communityId: 1, _id: 1}` so that one community's history
can split into chunks. `ensure_indexes` (core/platform/db.py) creates the shard-key index
where no declared index starts with the key, so `sh.shardCollection` finds one;
tests/integration/test_sharding_readiness.py checks every unique index against its shard key;
docs/sharding.md is the operator's side.

Targeting (what tests/integration/test_sharding_readiness.py enforces for every command the API sends):
- a command on a sharded collection carries `communityId` (equality or `$in`) in its filter
  (inserts: in every document) — mongos sends it to the shard(s) owning those communities;
- or it is a point lookup by `_id` (`get`, DataLoaders `_id: {$in}`): the ids were read from
  a document already authorised in its community, so the caller knows the community, but the
  filter does not say it; on the cluster such a lookup is broadcast and answered by each
  shard from its `_id` index (one probe per shard, no scan) — listed as `POINT_LOOKUP`;
- or it is one of the deliberate cross-community reads of `CROSS_COMMUNITY`: region
  statistics and region admins' lists (`regionPath`), which are scatter-gather by design and
  must be served by a `regionPath` index, and the platform-wide uniqueness of ID numbers and
  lookups by phone (blind indexes).
"""

from __future__ import annotations

from fnmatch import fnmatch

from pymongo import ASCENDING, IndexModel

SHARD_KEY: dict[str, int] = {"communityId": 1}
GROWING_SHARD_KEY: dict[str, int] = {"communityId": 1, "_id": 1}  # no unique rule, grows without bound

# Collections holding community data (module collections are `<module>__<name>`, every row
# with its `communityId`: see core/modules/datastore_repository.py).
SHARDED: dict[str, dict[str, int]] = {name: SHARD_KEY for name in (
    "residents", "grids", "work_orders", "guardianships", "files",
    "linkage_hops", "hotline_calls", "hotline_return_visits", "visits", "visit_plans",
    "resident_import_jobs", "resident_import_errors", "*__*",
)} | {"audit": GROWING_SHARD_KEY}

POINT_LOOKUP = "_id"

# Deliberate cross-community reads: collection -> {filter field: why}. Each is served by an
# index on that field (the explain check of tests/integration/test_sharding_readiness.py).
CROSS_COMMUNITY: dict[str, dict[str, str]] = {
    "residents": {"regionPath": "a region admin's lists and region statistics",
                  "idNumberHash": "an ID number's resident wherever they live (uniqueness: unique_values)",
                  "phoneHash": "a phone's residents wherever they live (binding, hotline)"},
    "work_orders": {"regionPath": "region statistics and lists",
                    "parties": "a resident's own orders include those filed for wards in other communities",
                    "submittedBy": "a retried submission is found by its submitter's idempotency key",
                    "residentId": "a ward's orders, filed by a guardian who may live elsewhere",
                    "linkageDepartments": "a department's queue spans the communities it serves",
                    "linkage.holderId": "a region's or department's linkage queue"},
    "grids": {"regionPath": "a region admin's lists"},
    "audit": {"regionPath": "a region admin's audit log"},
    "guardianships": {"regionPath": "a region admin's lists",
                      "guardianResidentId": "a guardian's wards may live in other communities"},
    "linkage_hops": {"regionPath": "linkage statistics of a region",
                     "holderId": "a department's or region's queue spans its communities"},
    "hotline_calls": {"regionPath": "hotline statistics and lists of a region",
                      "callerPhoneHash": "a caller's history wherever they live",
                      "operatorId": "an operator's calls (the hotline serves a whole city)"},
    "hotline_return_visits": {"regionPath": "hotline statistics of a region"},
}

# Collections that are not community data and stay unsharded (on the primary shard): the
# region tree, accounts and sessions (looked up by username, token, WeChat identity), the
# catalogue owned by regions, queues and counters; binding requests (one pending request per
# account across communities is a unique index without the community; a row per binding
# attempt, small).
UNSHARDED = ("regions", "users", "sessions", "wechat_identities", "wechat_tokens", "service_items", "service_forms",
             "outbox", "idempotency", "rate_limits", "persisted_queries", "module_settings", "departments",
             "staff_invitations", "staff_password_resets", "work_order_counters", "ws_presence",
             "core_upgrades", "unique_values", "binding_requests")


def shard_key(collection: str) -> dict[str, int] | None:
    """The shard key of `collection`, or None if it stays unsharded."""
    if collection in SHARDED:
        return SHARDED[collection]
    return next((key for pattern, key in SHARDED.items() if "*" in pattern and fnmatch(collection, pattern)), None)


def shard_key_index(collection: str) -> IndexModel | None:
    key = shard_key(collection)
    if key is None:
        return None
    return IndexModel([(field, ASCENDING) for field in key], name="shard_key")
