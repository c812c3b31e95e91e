"""The work-order state machine (一门受理、一站办结):

    submitted → accepted → assigned → in_progress → resolved → closed
    submitted/accepted → rejected (community admin, with a reason)
    submitted/accepted/assigned → cancelled (the resident, before work starts)

Each transition is allowed to one role and from given states only: the wrong role is
FORBIDDEN, the wrong state CONFLICT (the service applies them compare-and-set). States in
errors and statistics are spelled as the GraphQL enum spells them (`CANCELLED`), never as
stored. Kept apart from the service so that the rules read as one table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from community_plus.platform.access import Principal
from community_plus.platform.errors import BadUserInput, Conflict

OPEN_STATES = ("submitted", "accepted", "assigned", "in_progress")
STATES = (*OPEN_STATES, "resolved", "closed", "rejected", "cancelled")
ADMINS = ("community_admin",)
MAX_NOTE = 1000
STATE_TEXT = {"submitted": "已提交", "accepted": "已受理", "assigned": "已派单", "in_progress": "处理中",
              "resolved": "已办结", "closed": "已完成", "rejected": "已驳回", "cancelled": "已撤销"}
ACTION_TEXT = {"accept": "受理", "reject": "驳回", "assign": "派单", "start": "开始处理", "resolve": "办结",
               "rate": "评价", "cancel": "撤销"}


@dataclass(frozen=True)
class Transition:
    action: str
    from_states: tuple[str, ...]
    to_state: str
    roles: tuple[str, ...]  # "resident" means the submitter/subject; "assignee" the assigned worker
    stamp: str


TRANSITIONS = {
    "accept": Transition("accept", ("submitted",), "accepted", ADMINS, "acceptedAt"),
    "reject": Transition("reject", ("submitted", "accepted"), "rejected", ADMINS, "rejectedAt"),
    "assign": Transition("assign", ("accepted", "assigned"), "assigned", ADMINS, "assignedAt"),
    "start": Transition("start", ("assigned",), "in_progress", ("assignee",), "startedAt"),
    "resolve": Transition("resolve", ("in_progress",), "resolved", ("assignee",), "resolvedAt"),
    "rate": Transition("rate", ("resolved",), "closed", ("resident",), "closedAt"),
    "cancel": Transition("cancel", ("submitted", "accepted", "assigned"), "cancelled", ("resident",), "cancelledAt"),
}


def enum_name(value: str) -> str:
    """A stored value as the GraphQL enum spells it (`in_progress` → `IN_PROGRESS`)."""
    return value.upper()


def state_conflict(state: str, action: str, allowed: tuple[str, ...]) -> Conflict:
    return Conflict(f"工单当前为「{STATE_TEXT.get(state, state)}」，不能{ACTION_TEXT.get(action, action)} "
                    f"(cannot {action} a work order in state {enum_name(state)}; allowed from "
                    f"{', '.join(map(enum_name, allowed))})", state=enum_name(state))


def note_problem(note: str | None, path: str = "note") -> None:
    if note and len(note) > MAX_NOTE:
        raise BadUserInput({path: f"最多{MAX_NOTE}字 (at most {MAX_NOTE} characters)"})


def timeline_event(principal: Principal | None, action: str, from_state: str | None, to_state: str | None,
                   at: datetime, note: str | None = None, **extra: Any) -> dict[str, Any]:
    """One entry of an order's timeline, by `principal` (or the system when there is none)."""
    pr = principal
    return {"at": at, "action": action, "from": from_state, "to": to_state, "note": note,
            "actorId": pr.user_id if pr else "system", "actorRole": pr.role if pr else "system",
            "actorName": pr.display_name if pr else "系统", **extra}


def may_act(t: Transition, principal: Principal, order: dict[str, Any]) -> bool:
    """Whether `principal` holds one of the roles `t` is allowed to (the state is checked apart)."""
    pr = principal
    if "assignee" in t.roles and pr.role == "grid_worker" and order.get("assigneeId") in (None, pr.user_id):
        return True  # not yet assigned: the state check answers CONFLICT
    if "resident" in t.roles and pr.role == "resident" and (
            order["submittedBy"] == pr.user_id or order["residentId"] == pr.resident_id):
        return True
    return pr.role in t.roles
