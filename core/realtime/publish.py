"""What the modules layer calls to put a module's switch on the event log (in its transaction
when it has one). `record_work_order` lives in `domains/work_orders/events.py`; it is
re-exported here only for `domains/work_orders/service.py` until that module's split lands
(then its import moves and this re-export goes)."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession

from community_plus.domains.work_orders.events import record_work_order
from community_plus.platform.event_log import record
from community_plus.realtime.events import module_state_event

__all__ = ["record_module_state", "record_work_order"]


async def record_module_state(platform: Any, region: dict[str, Any], module: str, change: str,
                              session: AsyncClientSession | None = None) -> None:
    """A module was switched on/off (`change` enabled|disabled) or reconfigured (settings)."""
    await record(platform, [module_state_event(region, module, change)], session)
