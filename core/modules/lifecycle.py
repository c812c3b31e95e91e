"""Start-up work for modules: their collections, indexes and validators, and migrations that
run once per version under a lock (two workers never migrate at once)."""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from pymongo import IndexModel
from pymongo.errors import OperationFailure

from community_plus.platform.db import ensure_indexes
from community_plus.platform import stamps
from community_plus.modules.datastore import physical_name
from community_plus.modules.registry import PluginRegistry
from community_plus.modules.repository import (LockRepository, ModuleCollections, ModuleSettingsRepository,
                                               ModuleStampRepository, ModuleVersionRepository)

log = structlog.get_logger("community_plus.modules")
LOCK_TTL = timedelta(minutes=5)


async def ensure_collections(platform: Any, registry: PluginRegistry) -> None:
    collections = ModuleCollections(platform.db)
    existing = await collections.names()
    for loaded in registry.modules.values():
        indexes: dict[str, list[IndexModel]] = {}
        for spec in loaded.collections.values():
            name = physical_name(loaded.name, spec.name)
            if name not in existing:
                await collections.create(name, spec.validator)
            elif spec.validator:
                try:
                    await collections.set_validator(name, spec.validator)
                except OperationFailure as exc:
                    log.warning("could not update validator", collection=name, error=str(exc))
            indexes[name] = [IndexModel(list(keys)) for keys in spec.indexes] + [
                IndexModel([("communityId", 1), *keys], unique=True,
                           name="unique_" + "_".join(f"{k}_{d}" for k, d in keys)) for keys in spec.unique] + [
                stamps.INDEX]  # exactly-once inserts under an Idempotency-Key
        await ensure_indexes(platform.db, indexes)


async def run_migrations(platform: Any, registry: PluginRegistry, wait: float = 30.0) -> dict[str, str]:
    """Run each module's `migrate` hook once per version; returns module → action taken."""
    owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"  # unique per run
    versions, locks = ModuleVersionRepository(platform.db), LockRepository(platform.db)
    done: dict[str, str] = {}
    for name, loaded in registry.modules.items():
        target = loaded.manifest.version
        current = await versions.get(name)
        if current and current["version"] == target:
            done[name] = "current"
            continue
        deadline = asyncio.get_running_loop().time() + wait
        while not await locks.take(f"migrate:{name}", owner, LOCK_TTL):
            if asyncio.get_running_loop().time() > deadline:
                raise RuntimeError(f"module {name}: another worker holds the migration lock for over {wait:.0f}s")
            await asyncio.sleep(0.2)
        try:
            current = await versions.get(name)  # another worker may have finished meanwhile
            if current and current["version"] == target:
                done[name] = "current"
                continue
            ctx = registry.context(platform, name)
            await registry.call(name, "migrate", ctx=ctx, from_version=current["version"] if current else None,
                                to_version=target)
            await versions.record(name, target, current)
            done[name] = "migrated"
            log.info("module migrated", module=name, version=target)
        finally:
            await locks.release(f"migrate:{name}", owner)
    return done


async def run_module_periodic(platform: Any) -> None:
    """Each module's `run_periodic` hook with a system context; failures are isolated."""
    registry = platform.modules
    if registry is None:
        return
    for name in registry.modules:
        await registry.call(name, "run_periodic", ctx=registry.context(platform, name), now=datetime.now(UTC))


async def module_data(platform: Any, registry: PluginRegistry, name: str) -> dict[str, int]:
    """What uninstalling `name` deletes: each of its collections with its row count."""
    return await ModuleCollections(platform.db).counts(physical_name(name, ""))


async def uninstall_module(platform: Any, registry: PluginRegistry, name: str) -> dict[str, Any]:
    """Uninstall `name`, still installed: its `module_uninstalled` hook runs first (what it keeps
    elsewhere), then its collections are dropped, every region's switch and settings of it and
    its migrated version deleted, and the workers told to reload module states. The operator
    then removes the distribution (`pip uninstall`)."""
    said = await registry.call(name, "module_uninstalled", ctx=registry.context(platform, name))
    collections = ModuleCollections(platform.db)
    dropped = await module_data(platform, registry, name)
    for collection in dropped:
        await collections.drop(collection)
    decisions = await ModuleSettingsRepository(platform.db).forget(name)
    await ModuleVersionRepository(platform.db).forget(name)
    await ModuleStampRepository(platform.db).bump()  # running workers reload which modules are on
    log.info("module uninstalled", module=name, collections=sorted(dropped), region_settings=decisions)
    return {"hook": [s for s in said if s], "collections": dropped, "region_settings": decisions}
