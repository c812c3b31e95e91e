"""Runs outside the server (the `seed` command, the sandbox, benches) get the plugin platform too: modules are loaded,
their collections prepared and migrated, and `seed` enables them in some communities and
asks each for demo data (`seed_demo_data`)."""

from __future__ import annotations

from typing import Any
from community_plus.modules.lifecycle import ensure_collections, run_migrations
from community_plus.modules.registry import PluginRegistry


def attach_cli_extensions(platform: Any) -> None:
    platform.seed_extra = seed_modules


async def _load(platform: Any):

    registry = platform.modules
    if registry is None:
        registry = PluginRegistry(allow=platform.settings.allowed_plugins)
        registry.load_entry_points()
        registry.open(platform)
        await ensure_collections(platform, registry)
        await run_migrations(platform, registry)
    return registry


async def seed_modules(platform: Any, communities: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Enable module k in the communities whose index i has (i + k) % 3 != 0 — each module
    in about two thirds of them, each community with a different mix — then seed them."""
    registry = await _load(platform)
    enabled: dict[str, list[str]] = {}
    for k, name in enumerate(sorted(registry.modules)):
        for i, community in enumerate(communities):
            if (i + k) % 3 == 0:
                continue
            described = await registry.states.describe(community["_id"], name)
            if described["own"] is None:  # idempotent: an admin's later decision is kept
                await registry.states.set_enabled(community, name, True, "seed")
            enabled.setdefault(name, []).append(community["_id"])
            ctx = registry.context(platform, name, community_id=community["_id"])
            await registry.call(name, "seed_demo_data", ctx=ctx, community_id=community["_id"])
    return enabled
