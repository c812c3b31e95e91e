"""The long-lived heap of a served worker kept out of the garbage collector's way.

A worker's heap is mostly objects built once and kept for its life: the schemas (strawberry
types, graphql-core's type map), modules, settings, compiled regexes. CPython's cyclic
collector walks all of them on every full collection, which a request rate of a few hundred
per second triggers every few seconds; that walk showed up in profiles as time charged to
whatever function happened to allocate. `freeze()` moves everything alive into the permanent
generation (`gc.freeze`), so collections only walk what requests allocate. Frozen objects are
still freed by reference counting; only a cycle frozen after it became garbage would stay,
and `freeze_after_startup` collects first. A schema built later (a new set of enabled
modules) is frozen once it is built (`SchemaCache.after_build`): at most a request's few
cycles per distinct module set stay in memory. The young generation's threshold is raised
(`YOUNG_THRESHOLDS`): a request's short-lived objects are freed by reference counting anyway.

Used by `community-plus serve` only; tests, which build many apps in one process, leave the
collector alone.
"""

from __future__ import annotations

import gc
from typing import Any


# A request allocates tens of thousands of short-lived objects (freed by reference counting);
# CPython's default (700, 10, 10) runs a young collection every 700 net allocations, several
# per request, each finding almost nothing to collect.
YOUNG_THRESHOLDS = (20_000, 20, 20)


def freeze() -> None:
    gc.freeze()


async def freeze_after_startup(app: Any) -> None:
    """An `on_startup` handler, added after the cleanup contexts (database, plugins, schemas)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*YOUNG_THRESHOLDS)
