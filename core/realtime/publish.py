"""What the modules layer calls to put a module's switch on the event log (in its transaction
when it has one). Work orders put theirs there themselves (`domains/work_orders/events.py`)."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession

from community_plus.platform.event_log import record
from community_plus.realtime.events import module_state_event

__all__ = ["record_module_state"]


async def record_module_state(platform: Any, region: dict[str, Any], module: str, change: str,
                              session: AsyncClientSession | None = None) -> None:
    """A module was switched on/off (`change` enabled|disabled) or reconfigured (settings)."""
    await record(platform, [module_state_event(region, module, change)], session)
