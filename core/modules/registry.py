"""Discovery and loading of plugins from the `community_plus_sdk.plugins.v1` entry-point group
(the SDK major this server provides; entry points of another major's group are refused).

A plugin that fails to import, declares an invalid manifest, or collides with the core or
another plugin (type, field, collection or permission names) is reported and skipped; the
server still starts. Hook implementations are called per module, and an exception in one is
logged with the plugin's name and isolated from everything else.
"""

from __future__ import annotations

import functools
import inspect
import weakref
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from typing import Any

import pluggy
import structlog

from community_plus_sdk import CollectionSpec, GraphQLContribution, Module, Permission, Topic, hookspecs
from community_plus_sdk.version import ENTRY_POINT_GROUP, group_major, refusal

from community_plus.graphql.schema import build_schema
from community_plus.modules.compiler import CompiledModel, compile_model
from community_plus.modules.context import ServerModuleContext
from community_plus.modules.state import ModuleStates
from strawberry.schema.name_converter import NameConverter

log = structlog.get_logger("community_plus.modules")
GROUP = ENTRY_POINT_GROUP  # community_plus_sdk.plugins.v<SDK major>


def plugin_entry_points() -> list[EntryPoint]:
    """Installed entry points of every SDK major's plugin group (only this major's are loaded)."""
    return [ep for group in sorted(entry_points().groups) if group_major(group) is not None
            for ep in entry_points(group=group)]


async def await_me_maybe(value: Any) -> Any:
    """Hooks may return a value, a callable or an awaitable."""
    if callable(value) and not isinstance(value, type):
        value = value()
    if inspect.isawaitable(value):
        value = await value
    return value


@dataclass
class LoadedModule:
    name: str
    manifest: Module
    plugin: Any
    entry_point: str
    distribution: str | None
    dist_version: str | None
    compiled: list[CompiledModel] = field(default_factory=list)
    contribution: GraphQLContribution = field(default_factory=GraphQLContribution)
    collections: dict[str, CollectionSpec] = field(default_factory=dict)
    permissions: list[Permission] = field(default_factory=list)
    hooks: list[str] = field(default_factory=list)
    topics: dict[str, Topic] = field(default_factory=dict)
    models: dict[str, type] = field(default_factory=dict)
    """The module's declarative models by GraphQL type name."""
    referrers: dict[str, list[tuple[type, str, Any]]] = field(default_factory=dict)
    """Per model type name: the (model, field name, `fields.Ref`) referring to it."""

    @property
    def collection_names(self) -> set[str]:
        return set(self.collections)

    def graphql_parts(self) -> tuple[list[type], list[type], list[type], list[type]]:
        c = self.contribution
        return ([m.query for m in self.compiled if m.query is not None] + list(c.queries), [m.mutation for m in self.compiled if m.mutation is not None] + list(c.mutations),
                list(c.subscriptions), list(c.types))


@dataclass
class FailedPlugin:
    entry_point: str
    distribution: str | None
    reason: str


@functools.cache
def _core_names() -> tuple[set[str], set[str], set[str]]:
    schema = build_schema()._schema
    query = set(schema.query_type.fields) if schema.query_type else set()
    mutation = set(schema.mutation_type.fields) if schema.mutation_type else set()
    return set(schema.type_map), query, mutation


@functools.cache
def _core_subscriptions() -> set[str]:
    schema = build_schema()._schema
    return set(schema.subscription_type.fields) if schema.subscription_type else set()


def _strawberry_name(cls: type) -> str:
    definition = getattr(cls, "__strawberry_definition__", None)
    return definition.name if definition else cls.__name__


def _field_names(cls: type) -> set[str]:
    definition = getattr(cls, "__strawberry_definition__", None)
    if definition is None:
        return set()

    conv = NameConverter()
    return {conv.get_graphql_name(f) for f in definition.fields}


class PluginRegistry:
    """The loaded modules of this process."""

    def __init__(self, allow: set[str] | None = None) -> None:
        self.allow = allow
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.modules: dict[str, LoadedModule] = {}
        self.failed: list[FailedPlugin] = []
        self.permission_roles: dict[str, tuple[str, ...]] = {}
        self.field_owner: dict[str, str] = {}  # GraphQL root field → module
        self._states: ModuleStates | None = None

    def open(self, platform: Any) -> ModuleStates:
        """Read and switch the modules' states in `platform`'s database: the registry becomes
        `platform.modules`. Done once per process, when the database is open (app start-up, a
        CLI command)."""
        self._states = ModuleStates(platform, self)
        platform.modules = self
        return self._states

    @property
    def is_open(self) -> bool:
        return self._states is not None

    @property
    def states(self) -> ModuleStates:
        """The modules' per-region states (switches, settings); `open` first."""
        if self._states is None:
            raise RuntimeError("the module registry is not open on a database: call PluginRegistry.open(platform)")
        return self._states

    # -- loading ------------------------------------------------------------------------------
    def load_entry_points(self, eps: list[EntryPoint] | None = None) -> None:
        eps = plugin_entry_points() if eps is None else eps
        for ep in sorted(eps, key=lambda e: e.name):
            if self.allow is not None and ep.name not in self.allow:
                continue
            dist = ep.dist.name if ep.dist else None
            if ep.group and ep.group != GROUP:  # built for another SDK major: refused, never imported
                self._fail(ep.name, dist, refusal(ep.group))
                continue
            try:
                plugin = ep.load()
            except Exception as exc:
                self._fail(ep.name, dist, f"import failed: {type(exc).__name__}: {exc}")
                continue
            self.add(plugin, ep.name, dist, ep.dist.version if ep.dist else None)

    def _fail(self, name: str, dist: str | None, reason: str) -> None:
        log.error("plugin skipped", plugin=name, distribution=dist, reason=reason)
        self.failed.append(FailedPlugin(name, dist, reason))

    def _call_sync(self, plugin_name: str, hook: str) -> list[Any]:
        results = []
        for impl in getattr(self.pm.hook, hook).get_hookimpls():
            if impl.plugin_name == plugin_name:
                value = impl.function()
                if inspect.isawaitable(value):
                    value.close()
                    raise ValueError(f"{hook}() must not be async: declarations are plain functions (no I/O at "
                                     "registration time)")
                results.append(value() if callable(value) and not isinstance(value, type) else value)
        return results

    def add(self, plugin: Any, name: str, dist: str | None = None, dist_version: str | None = None) -> bool:
        """Register one plugin object; False (and a recorded reason) when it is skipped."""
        if self.pm.get_plugin(name) is not None:
            self._fail(name, dist, f"entry point name {name!r} is used by two plugins: rename one")
            return False
        try:
            self.pm.register(plugin, name=name)
            unknown = [impl.function.__name__ for caller in self.pm.hook.__dict__.values()
                       if isinstance(caller, pluggy.HookCaller) and not caller.has_spec()
                       for impl in caller.get_hookimpls() if impl.plugin_name == name]
            if unknown:
                raise ValueError(f"unknown hook(s) {', '.join(sorted(unknown))}: check the spelling against "
                                 "community_plus_sdk.hookspecs (`community-plus plugin check` explains)")
        except Exception as exc:  # pluggy.PluginValidationError: wrong hook arguments
            if self.pm.get_plugin(name) is not None:
                self.pm.unregister(name=name)
            self._fail(name, dist, f"invalid hook implementation: {exc}")
            return False
        try:
            loaded = self._inspect(plugin, name, dist, dist_version)
        except Exception as exc:
            self.pm.unregister(name=name)
            self._fail(name, dist, str(exc) if isinstance(exc, ValueError) else f"{type(exc).__name__}: {exc}")
            return False
        self.modules[loaded.name] = loaded
        for p in loaded.permissions:
            self.permission_roles[p.name] = tuple(p.roles)
        for q in loaded.graphql_parts()[0] + loaded.graphql_parts()[1] + loaded.graphql_parts()[2]:
            for fname in _field_names(q):
                self.field_owner[fname] = loaded.name
        log.info("plugin loaded", plugin=name, module=loaded.name, version=loaded.manifest.version)
        return True

    def _inspect(self, plugin: Any, name: str, dist: str | None, dist_version: str | None) -> LoadedModule:
        manifests = self._call_sync(name, "register_module")
        if not manifests or not isinstance(manifests[0], Module):
            raise ValueError("register_module() must return a community_plus_sdk.Module")
        manifest: Module = manifests[0]
        if problems := manifest.problems():
            raise ValueError("invalid manifest: " + "; ".join(problems))
        if manifest.name in self.modules:
            raise ValueError(f"module name {manifest.name!r} is already used by plugin "
                             f"{self.modules[manifest.name].entry_point}")
        hooks = sorted(caller.name for caller in self.pm.get_hookcallers(self.pm.get_plugin(name)) or [])
        loaded = LoadedModule(name=manifest.name, manifest=manifest, plugin=plugin, entry_point=name,
                              distribution=dist, dist_version=dist_version, hooks=hooks)
        declared = [model for models in [manifest.models, *self._call_sync(name, "register_models")]
                    for model in models or []]
        loaded.models, loaded.referrers = link_models(declared)
        compiled_by_name: dict[str, CompiledModel] = {}
        for model in loaded.models.values():  # referenced models first
            compiled = _compiled(manifest.name, model, compiled_by_name)
            compiled_by_name[model.type_name()] = compiled
            loaded.compiled.append(compiled)
            idx = [[(getattr(fld, "index_key", fname), 1)] for fname, fld in model.__fields__.items() if fld.index]
            if model.meta("owned_by_resident"):
                idx.append([("residentId", 1), ("_id", -1)])
            loaded.collections[model.collection_name()] = CollectionSpec(
                model.collection_name(), [[("communityId", 1), ("_id", -1)],
                                          *[[("communityId", 1), *i] for i in idx], *model.meta("indexes")])
        for contribution in [manifest.graphql, *self._call_sync(name, "register_graphql")]:
            if contribution:
                for attr in ("queries", "mutations", "subscriptions", "types"):
                    getattr(loaded.contribution, attr).extend(getattr(contribution, attr))
        for topics in self._call_sync(name, "register_topics"):
            for topic in topics or []:
                if not isinstance(topic, Topic) or not topic.name.isidentifier() or topic.name in loaded.topics:
                    raise ValueError(f"register_topics() must return Topic objects with unique snake_case names "
                                     f"(got {topic!r})")
                loaded.topics[topic.name] = topic
        for specs in [manifest.collections, *self._call_sync(name, "register_collections")]:
            for spec in specs or []:
                if spec.name in loaded.collections:
                    raise ValueError(f"collection {spec.name!r} is declared twice")
                loaded.collections[spec.name] = spec
        loaded.permissions = list(manifest.permissions)
        for extra in self._call_sync(name, "register_permissions"):
            loaded.permissions += list(extra or [])
        self._check_collisions(loaded)
        self._check_schema(loaded)
        return loaded

    def _check_collisions(self, loaded: LoadedModule) -> None:
        core_types, core_query, core_mutation = _core_names()
        theirs_types = {t for m in self.modules.values() for t in _type_names(m)}
        for t in _type_names(loaded):
            if t in core_types:
                raise ValueError(f"type name {t!r} collides with the core schema: rename it (e.g. prefix it)")
            if t in theirs_types:
                raise ValueError(f"type name {t!r} collides with another module: rename it")
        queries, mutations, *_ = loaded.graphql_parts()
        for cls in queries:
            for fname in _field_names(cls):
                if fname in core_query or fname in self.field_owner:
                    raise ValueError(f"query field {fname!r} collides with the core or another module")
        for cls in mutations:
            for fname in _field_names(cls):
                if fname in core_mutation or fname in self.field_owner:
                    raise ValueError(f"mutation field {fname!r} collides with the core or another module")
        for cls in loaded.graphql_parts()[2]:
            for fname in _field_names(cls):
                if fname in _core_subscriptions() or fname in self.field_owner:
                    raise ValueError(f"subscription field {fname!r} collides with the core or another module")
        for p in loaded.permissions:
            if p.name in self.permission_roles:
                raise ValueError(f"permission {p.name!r} is already declared by another module")
            if not p.name.startswith(loaded.name + "."):
                raise ValueError(f"permission {p.name!r} must start with '{loaded.name}.'")

    def _check_schema(self, loaded: LoadedModule) -> None:
        """Build a schema with just this module to catch broken custom types early."""
        try:
            build_schema([loaded.graphql_parts()])
        except Exception as exc:
            raise ValueError(f"its GraphQL types do not build: {exc}") from exc

    # -- use ------------------------------------------------------------------------------------
    async def enabled_for(self, community_id: str) -> frozenset[str]:
        return await self._states.enabled_for(community_id) if self._states else frozenset()

    def contributions(self, modules: frozenset[str]):
        return [self.modules[m].graphql_parts() for m in sorted(modules) if m in self.modules]

    def context(self, platform: Any, module: str, *, scope: Any = None, community_id: str | None = None,
                request_id: str | None = None, request_ctx: Any = None) -> ServerModuleContext:
        """The one way the server makes a module's SDK context: a system context (no `scope`),
        scoped to `community_id` when given, or a request's (`scope`, `request_ctx`)."""
        return ServerModuleContext(platform, self, module, scope=scope, community_id=community_id,
                                   request_id=request_id, request_ctx=request_ctx)

    async def call(self, module: str, hook: str, **kwargs: Any) -> list[Any]:
        """Call one module's implementations of `hook`; exceptions are logged and isolated."""
        results = []
        for impl in getattr(self.pm.hook, hook).get_hookimpls():
            if impl.plugin_name != self.modules[module].entry_point:
                continue
            try:
                args = {k: kwargs[k] for k in impl.argnames if k in kwargs}
                results.append(await await_me_maybe(impl.function(**args)))
            except Exception:
                log.exception("plugin hook failed", plugin=impl.plugin_name, module=module, hook=hook)
        return results


_COMPILED: weakref.WeakKeyDictionary[type, dict[str, Any]] = weakref.WeakKeyDictionary()


def _compiled(module: str, model: type, referenced: dict[str, CompiledModel]) -> CompiledModel:
    """`compile_model` once per model class in a process, so that every app built from the same
    plugin holds the same GraphQL types and shares their cached schemas (`build_schema`). The
    models it refers to are compiled first, from the same classes, so they come from here too."""
    per_module = _COMPILED.setdefault(model, {})
    if module not in per_module:
        per_module[module] = compile_model(module, model, referenced)
    return per_module[module]


def _type_names(loaded: LoadedModule) -> list[str]:
    names = [t for m in loaded.compiled for t in m.type_names]
    c = loaded.contribution
    for cls in c.types + c.queries + c.mutations + c.subscriptions:
        names.append(_strawberry_name(cls))
    return names


def link_models(models: list[type]) -> tuple[dict[str, type], dict[str, list[tuple[type, str, Any]]]]:
    """The models by type name, ordered so that a referenced model comes before the models
    referring to it (the compiler needs the referenced GraphQL type), and who refers to whom.
    A reference to a model the module does not declare, or a cycle of references, is a
    load error (a model referring to itself included: the object field would need its own
    type before it exists; keep such a parent id a plain `String`)."""
    by_name: dict[str, type] = {}
    for model in models:
        if model.type_name() in by_name:
            raise ValueError(f"model {model.type_name()} is declared twice")
        by_name[model.type_name()] = model
    referrers: dict[str, list[tuple[type, str, Any]]] = {}
    for model in models:
        for fname, ref in model.references().items():
            if ref.target_name not in by_name:
                raise ValueError(f"{model.type_name()}.{fname} refers to {ref.target_name!r}, which is not a model of "
                                 f"this module (models: {', '.join(sorted(by_name))})")
            referrers.setdefault(ref.target_name, []).append((model, fname, ref))
    ordered: dict[str, type] = {}
    visiting: list[str] = []

    def visit(name: str) -> None:
        if name in ordered:
            return
        if name in visiting:
            raise ValueError("models refer to each other in a cycle (" + " → ".join([*visiting, name]) + "): "
                             "keep one side a plain String id")
        visiting.append(name)
        for ref in by_name[name].references().values():
            visit(ref.target_name)
        visiting.pop()
        ordered[name] = by_name[name]

    for name in by_name:
        visit(name)
    return ordered, referrers
