"""What writers call to put events in the log (in their transaction when they have one)."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession

from community_plus.realtime.events import module_state_event, work_order_event
from community_plus.realtime.log import record


async def record_work_order(platform: Any, order: dict[str, Any], previous_state: str | None,
                            session: AsyncClientSession | None = None) -> None:
    """A work order was submitted or changed state (its notifications are recorded by the
    outbox itself, see `OutboxRepository.insert_many`)."""
    await record(platform, [work_order_event(order, previous_state)], session)


async def record_module_state(platform: Any, region: dict[str, Any], module: str, change: str,
                              session: AsyncClientSession | None = None) -> None:
    """A module was switched on/off (`change` enabled|disabled) or reconfigured (settings)."""
    await record(platform, [module_state_event(region, module, change)], session)
