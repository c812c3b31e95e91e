"""Wire the plugin platform into an app: load plugins at creation, prepare their collections,
migrate and watch module state when the app starts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from aiohttp import web

from community_plus.platform.tasks import stop_tasks
from community_plus.modules.events import EventBus
from community_plus.modules.lifecycle import ensure_collections, run_migrations
from community_plus.modules.model_service import register_file_visibility
from community_plus.modules.registry import PluginRegistry
from community_plus.modules.repository import ModuleSettingsRepository
from community_plus.platform.db import ensure_indexes
from community_plus.keys import PLATFORM, REGISTRY, SETTINGS



def setup_plugins(app: web.Application) -> PluginRegistry:
    """Load the installed plugins now; open their collections, migrations and states at start-up."""
    settings = app[SETTINGS]
    registry = PluginRegistry(allow=settings.allowed_plugins)
    registry.load_entry_points()
    app[REGISTRY] = registry

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        platform = app[PLATFORM]
        states = registry.open(platform)
        await ensure_indexes(platform.db, {ModuleSettingsRepository.collection: ModuleSettingsRepository.indexes})
        await ensure_collections(platform, registry)
        await run_migrations(platform, registry)
        await states.refresh()
        register_file_visibility(platform, registry)
        platform.events = EventBus(platform, registry)
        watcher = asyncio.create_task(states.watch(settings.module_poll_interval))
        yield
        await stop_tasks([watcher])

    app.cleanup_ctx.append(ctx)
    return registry


async def open_plugins_for_command(platform, settings) -> PluginRegistry:
    """The plugin platform for a command run outside the server (`residents import`): modules
    loaded, their collections ensured, module states read and core events wired to the modules'
    `on_event` hooks as in the server. Migrations are left to the server's start."""
    registry = PluginRegistry(allow=settings.allowed_plugins)
    registry.load_entry_points()
    states = registry.open(platform)
    await ensure_collections(platform, registry)
    await states.refresh()
    platform.events = EventBus(platform, registry)
    return registry
