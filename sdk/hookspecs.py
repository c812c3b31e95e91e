"""The hook specifications: every hook a plugin can implement, grouped by lifecycle. The SDK
owns them (next to `hookimpl`); the Community+ server implements the calls. Hooks are always called with
keyword arguments; an implementation may accept fewer of them. An implementation may return
a value, a callable or an awaitable (the server awaits it). No I/O at import or registration.

Each module is one plugin (one entry point in the `community_plus_sdk.plugins.v1` group: the SDK
major it targets, see `community_plus_sdk.version`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pluggy

from .context import ModuleContext
from .events import Topic
from .hooks import PROJECT
from .models import Model
from .module import CollectionSpec, GraphQLContribution, Module, Permission, Stat

hookspec = pluggy.HookspecMarker(PROJECT)

# -- declaration (called once at start-up, per plugin) --------------------------------------


@hookspec(firstresult=True)
def register_module() -> Module:
    """Return the module's `community_plus_sdk.Module` manifest (name, title, version,
    description, icon, entry page, permissions, settings schema). Required. firstresult."""


@hookspec
def register_models() -> list[type[Model]]:
    """Return a list of `community_plus_sdk.Model` classes; each gets a GraphQL type, list and
    by-id queries and create/update/delete mutations generated, and its own collection."""


@hookspec
def register_graphql() -> GraphQLContribution | None:
    """Return a `GraphQLContribution` of custom strawberry query, mutation and subscription
    classes (and extra types) for what the declarative models do not cover."""


@hookspec
def register_topics() -> list[Topic]:
    """Return a list of `community_plus_sdk.Topic`: the realtime events the module publishes
    with `ctx.publish` and serves from its own subscription fields with `ctx.subscribe`
    (e.g. a care visit checked in, a meal served). Publishing an undeclared topic fails."""


@hookspec
def register_collections() -> list[CollectionSpec]:
    """Return a list of `CollectionSpec` (name, indexes, `$jsonSchema` validator) for
    collections the module uses besides its models'. Names are namespaced `<module>__<name>`."""


@hookspec
def register_permissions() -> list[Permission]:
    """Return a list of `Permission` the module offers beyond those in its manifest."""


# -- lifecycle --------------------------------------------------------------------------------


@hookspec
def migrate(ctx: ModuleContext, from_version: str | None, to_version: str) -> Any:
    """Bring the module's data from `from_version` (None on first install) to `to_version`.
    Runs once per version, at start-up, under a lock (never in two workers at once)."""


@hookspec
def module_enabled(ctx: ModuleContext, community_id: str) -> Any:
    """The module was switched on for a community (or a region above it)."""


@hookspec
def module_disabled(ctx: ModuleContext, community_id: str) -> Any:
    """The module was switched off; its data is kept (re-enabling brings it back)."""


@hookspec
def module_uninstalled(ctx: ModuleContext) -> Any:
    """An operator ran `community-plus plugins uninstall <module>`: the module's collections,
    region settings and migrated version are deleted right after this hook; clean up what the
    module keeps elsewhere (files, outside accounts). Return a line to show the operator, or None."""


# -- reacting to the core -----------------------------------------------------------------


@hookspec
def on_event(ctx: ModuleContext, event: str, payload: dict[str, Any]) -> Any:
    """A core domain event, after its write committed: `resident_created`,
    `resident_updated`, `work_order_state_changed`, `module_enabled`, `module_disabled`.
    Called for modules enabled in the event's community; exceptions are logged and isolated."""


@hookspec
def run_periodic(ctx: ModuleContext, now: datetime) -> Any:
    """Called about once a minute in each worker with a system context (no caller, no
    community): scan with `ctx.unscoped_collection`, act with `ctx.for_community(id)`, e.g.
    raise alerts for overdue visits. Make the work idempotent (several workers may run it)."""


@hookspec
def seed_demo_data(ctx: ModuleContext, community_id: str) -> Any:
    """Add demo rows for a community where `community-plus seed` enabled the module."""


@hookspec
def dashboard_statistics(ctx: ModuleContext, community_id: str, since: datetime, until: datetime) -> list[Stat]:
    """Return a list of `Stat` for the community dashboard over a time window."""


ALL_HOOKS = ["register_module", "register_models", "register_graphql", "register_topics", "register_collections",
             "register_permissions", "migrate", "module_enabled", "module_disabled", "module_uninstalled",
             "on_event", "run_periodic", "seed_demo_data", "dashboard_statistics"]
