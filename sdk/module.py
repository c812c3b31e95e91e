"""What a plugin declares about itself: the module manifest, permissions, GraphQL parts,
collections and dashboard statistics.

Example::

    module = Module(
        name="notice_board", title="社区公告栏", version="0.1.0",
        description="社区通知与活动公告", icon="bell", entry_page="/pages/notice_board/index",
        permissions=[Permission("notice_board.notice.publish", "发布公告", roles=("community_admin",))],
        settings_schema={"type": "object", "properties": {"maxPinned": {"type": "integer", "default": 3}}},
    )
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

NAME_RE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
_PAGE_RE = re.compile(r"^/pages(/[A-Za-z0-9_-]+)+(\?[^\s#]*)?$")


def page_path(page: str) -> str:
    """A mini-program page as `wx.navigateTo` takes it: the absolute `/pages/<dir>/<page>`
    (with an optional `?query`). `pages/x/y` is given its leading slash; anything else
    (a URL, a relative path) raises ValueError.

    Example: ``page_path("pages/elder_care/order?id=42")`` → ``"/pages/elder_care/order?id=42"``
    """
    value = page if page.startswith("/") else "/" + page
    if not _PAGE_RE.match(value):
        raise ValueError(f"{page!r} is not a mini-program page: use an absolute path like /pages/<module>/index")
    return value


@dataclass(frozen=True)
class Permission:
    """A permission a module offers, granted by default to `roles`.

    Example: ``Permission("elder_care.order.dispatch", "派单", roles=("community_admin",))``
    """

    name: str
    description: str = ""
    roles: tuple[str, ...] = ()


@dataclass(frozen=True)
class Module:
    """The manifest of a module. `name` namespaces its collections, permissions, settings and
    mini-program pages: `entry_page` is an absolute path under `/pages/<name>/` (a missing
    leading slash is added)."""

    name: str
    title: str
    version: str
    description: str = ""
    icon: str | None = None
    entry_page: str | None = None
    permissions: list[Permission] = field(default_factory=list)
    settings_schema: dict[str, Any] = field(default_factory=lambda: {"type": "object", "properties": {}})
    enabled_by_default: bool = False
    settings: type | None = None
    """A typed settings class (`community_plus_sdk.settings`): `settings_schema` is derived
    from it and `await ctx.settings()` returns an instance."""
    models: tuple[type, ...] = ()
    """Declarative models (`Model` subclasses), as `register_models` would return them."""
    graphql: GraphQLContribution | None = None
    """Custom GraphQL types, as `register_graphql` would return them."""
    collections: tuple[CollectionSpec, ...] = ()
    """Collections besides the models', as `register_collections` would return them."""
    console_pages: tuple[Any, ...] = ()
    """Admin console pages (`community_plus_sdk.console.ConsolePage`), shown where the module
    is enabled."""

    def with_parts(self, *, models: list[type] | tuple[type, ...] = (), graphql: GraphQLContribution | None = None,
                   collections: list[CollectionSpec] | tuple[CollectionSpec, ...] = ()) -> Module:
        """This manifest carrying its models, GraphQL contribution and collections: return it
        from `register_module` (in the package's `__init__`, once everything is imported)
        instead of implementing `register_models`/`register_graphql`/`register_collections`."""
        return replace(self, models=tuple(models), graphql=graphql, collections=tuple(collections))

    def __post_init__(self) -> None:
        if self.settings is not None:
            from .settings import schema_of

            object.__setattr__(self, "settings_schema", schema_of(self.settings))
        if isinstance(self.entry_page, str) and self.entry_page.startswith("pages/"):
            object.__setattr__(self, "entry_page", "/" + self.entry_page)

    def problems(self) -> list[str]:
        """What is wrong with this manifest (empty when valid)."""
        out = []
        if not NAME_RE.match(self.name or ""):
            out.append(f"module name {self.name!r} must be lower_snake_case, 2–40 characters")
        if not self.title:
            out.append("title is required (shown to community admins)")
        if not re.match(r"^\d+\.\d+(\.\d+)?([.-]?\w+)?$", self.version or ""):
            out.append(f"version {self.version!r} must look like 1.2.3")
        for p in self.permissions:
            if not p.name.startswith(self.name + "."):
                out.append(f"permission {p.name!r} must start with '{self.name}.'")
        if self.entry_page is not None:
            try:
                page = page_path(self.entry_page)
            except (TypeError, ValueError, AttributeError):
                page = ""
            if not page.split("?")[0].startswith(f"/pages/{self.name}/"):
                out.append(f"entry_page {self.entry_page!r} must be a page of the module: /pages/{self.name}/<page>")
        paths = [page.path for page in self.console_pages]
        if len(paths) != len(set(paths)):
            out.append("console pages must have different paths")
        for page in self.console_pages:
            out.extend(page.problems())
        schema = self.settings_schema
        if not isinstance(schema, dict) or schema.get("type") != "object":
            out.append("settings_schema must be a JSON Schema of type object")
        return out

    def secret_settings(self) -> set[str]:
        """Settings marked `"writeOnly": true` or `"x-secret": true` are never read back."""
        props = (self.settings_schema or {}).get("properties", {})
        return {k for k, v in props.items() if isinstance(v, dict) and (v.get("writeOnly") or v.get("x-secret"))}

    def context(self, info: Any) -> Any:
        """This module's `ModuleContext` inside a GraphQL resolver (`info` is strawberry's)."""
        return info.context.module_context(self.name)

    def default_settings(self) -> dict[str, Any]:
        props = (self.settings_schema or {}).get("properties", {})
        return {k: v["default"] for k, v in props.items() if isinstance(v, dict) and "default" in v}


@dataclass
class GraphQLContribution:
    """Custom strawberry classes a module adds to the schema of communities that enable it.

    `queries`/`mutations`/`subscriptions` are strawberry types whose fields are merged into
    Query/Mutation/Subscription; `types` are extra types to include.
    """

    queries: list[type] = field(default_factory=list)
    mutations: list[type] = field(default_factory=list)
    subscriptions: list[type] = field(default_factory=list)
    types: list[type] = field(default_factory=list)


@dataclass(frozen=True)
class CollectionSpec:
    """A collection a module owns (besides those its models declare): indexes are lists of
    (field, direction) pairs; `validator` is a MongoDB `$jsonSchema` document.

    Example: ``CollectionSpec("signups", indexes=[[("activityId", 1)]],
    unique=[[("activityId", 1), ("residentId", 1)]])``"""

    name: str
    indexes: list[list[tuple[str, int]]] = field(default_factory=list)
    validator: dict[str, Any] | None = None
    unique: list[list[tuple[str, int]]] = field(default_factory=list)
    """Unique indexes; each is scoped to the community (`communityId` is prepended)."""
    sealed: tuple[str, ...] = ()
    """Top-level fields holding a person's phone number: encrypted at rest, stored with a blind
    index (equality filters on them still work) and read back masked, like `fields.SealedPhone`;
    `ModuleContext.reveal` returns one in full (audited)."""


@dataclass(frozen=True)
class Stat:
    """One figure on the community dashboard. Example: ``Stat("orders", "护理订单", 42)``."""

    key: str
    label: str
    value: float | int | None
    unit: str | None = None
