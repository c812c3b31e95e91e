"""A work order's changes on the event log (what `workOrderChanged` subscribers receive).

Hotline, linkage and the work-order service record them in the transaction of the change; the
order's notifications are recorded by the outbox itself (`OutboxRepository.insert_many`).
"""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession

from community_plus.platform.event_log import WORK_ORDER, event_doc, record


def work_order_event(order: dict[str, Any], previous_state: str | None) -> dict[str, Any]:
    """A work order changed state (or was submitted): the order as the write left it."""
    last = (order.get("timeline") or [{}])[-1]
    return event_doc(WORK_ORDER, {"order": order, "previousState": previous_state,
                                  "action": last.get("action", "submit")},
                     community_id=order["communityId"], region_path=order.get("regionPath") or [],
                     users=[u for u in (order.get("submittedBy"), order.get("assigneeId")) if u],
                     residents=[order["residentId"]] if order.get("residentId") else [])


async def record_work_order(platform: Any, order: dict[str, Any], previous_state: str | None,
                            session: AsyncClientSession | None = None) -> None:
    """A work order was submitted or changed state (inside the change's transaction if given)."""
    await record(platform, [work_order_event(order, previous_state)], session)
