"""What writers call to put events in the log (in their transaction when they have one)."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession

from .events import module_state_event, notification_events, work_order_event
from .log import record


async def record_work_order(platform: Any, order: dict[str, Any], previous_state: str | None,
                            messages: list[dict[str, Any]], session: AsyncClientSession | None = None) -> None:
    """A work order's change and the notifications it sent (the outbox `messages`)."""
    await record(platform, [work_order_event(order, previous_state), *notification_events(messages)], session)


async def record_notifications(platform: Any, messages: list[dict[str, Any]],
                               session: AsyncClientSession | None = None) -> None:
    """Outbox messages written without a work order (e.g. a module's `ctx.notify`)."""
    await record(platform, notification_events(messages), session)


async def record_module_state(platform: Any, region: dict[str, Any], module: str, change: str,
                              session: AsyncClientSession | None = None) -> None:
    """A module was switched on/off (`change` enabled|disabled) or reconfigured (settings)."""
    await record(platform, [module_state_event(region, module, change)], session)
