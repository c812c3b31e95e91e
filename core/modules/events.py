"""Core domain events delivered to modules through the `on_event` hook, after the write
committed, only for modules enabled in the event's community. A failing module is logged
with its name and never affects the request or other modules."""

from __future__ import annotations

from typing import Any

from community_plus.modules.registry import PluginRegistry


def _community_of(payload: dict[str, Any]) -> str | None:
    for key in ("resident", "work_order"):
        if key in payload and isinstance(payload[key], dict):
            return payload[key].get("communityId")
    return payload.get("community_id")


class EventBus:
    def __init__(self, platform: Any, registry: PluginRegistry) -> None:
        self.platform = platform
        self.registry = registry

    async def emit(self, event: str, **payload: Any) -> None:
        community_id = _community_of(payload)
        if community_id is None or not self.registry.is_open:
            return
        enabled = await self.registry.states.enabled_for(community_id)
        public = {k: _public(v) for k, v in payload.items()}
        for module in sorted(enabled):
            ctx = self.registry.context(self.platform, module, community_id=community_id)
            await self.registry.call(module, "on_event", ctx=ctx, event=event, payload=public)


def _public(value: Any) -> Any:
    """Modules never see sealed personal data or blind indexes."""
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if not k.endswith(("Sealed", "Hash"))}
    return value
