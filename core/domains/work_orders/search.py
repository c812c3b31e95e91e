"""Which work orders a viewer sees, and the query of a filtered list of them.

The visibility filter is also what realtime subscriptions match against
(`realtime/match.py`), so a subscriber sees exactly what the same viewer's list shows.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from community_plus.platform.access import Scope
from community_plus.platform.errors import BadUserInput
from community_plus.platform.validation import as_utc
from community_plus.domains.work_orders.numbering import number_filter
from community_plus.domains.work_orders.transitions import OPEN_STATES, STATES


def visible_filter(scope: Scope) -> dict[str, Any]:
    """The orders the scope's principal may see: their own (residents), their department's
    (linkage), their grids' or assigned ones (grid workers), else the community scope."""
    pr = scope.require()
    if pr.role == "resident":
        return {"parties": {"$in": [p for p in (pr.user_id, pr.resident_id) if p]}}
    if pr.role == "department_staff":  # the orders ever handed to their department (linkage)
        return {"linkageDepartments": pr.department_id or "\x00"}
    f = scope.community_filter()
    if pr.role == "grid_worker":
        return {"$and": [f, {"$or": [{"gridId": {"$in": list(pr.grid_ids)}}, {"assigneeId": pr.user_id}]}]}
    return f


def _created_between(f: dict[str, Any]) -> dict[str, Any]:
    rng: dict[str, Any] = {}
    if f.get("since"):
        rng["$gte"] = as_utc(f["since"])
    if f.get("until"):
        rng["$lt"] = as_utc(f["until"])
    if "$gte" in rng and "$lt" in rng and rng["$gte"] >= rng["$lt"]:
        raise BadUserInput({"filter.since": "开始时间应早于结束时间 (since must be before until)"})
    return {"createdAt": rng}


def list_query(scope: Scope, f: dict[str, Any]) -> dict[str, Any]:
    """The visible orders matching the list filter `f` (WorkOrderFilter, snake_case keys)."""
    clauses: list[dict[str, Any]] = [visible_filter(scope)]
    pr = scope.require()
    if f.get("states"):
        bad = [s for s in f["states"] if s not in STATES]
        if bad:
            raise BadUserInput({"filter.states": f"未知状态 {bad} (unknown states; use WorkOrderState values)"})
        clauses.append({"state": {"$in": f["states"]}})
    for key, field in (("item_id", "itemId"), ("grid_id", "gridId"), ("resident_id", "residentId"),
                       ("community_id", "communityId")):
        if f.get(key):
            clauses.append({field: f[key]})
    if f.get("channels"):
        clauses.append({"channel": {"$in": f["channels"]}} if "mini_program" not in f["channels"] else
                       {"$or": [{"channel": {"$in": f["channels"]}}, {"channel": {"$exists": False}}]})
    if f.get("number"):
        clauses.append(number_filter(f["number"]))
    if f.get("assigned_to_me"):
        clauses.append({"assigneeId": pr.user_id})
    if f.get("overdue"):
        clauses.append({"state": {"$in": list(OPEN_STATES)}, "dueAt": {"$lt": datetime.now(UTC)}})
    if f.get("since") or f.get("until"):
        clauses.append(_created_between(f))
    return {"$and": clauses} if len(clauses) > 1 else clauses[0]
