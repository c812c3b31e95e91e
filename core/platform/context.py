"""The per-request context (`RequestContext`) every resolver receives, and its DataLoaders.

The per-app wiring it carries, `Platform`, opens the core repositories and so lives a floor
up, in `domains/platform.py`."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from strawberry.dataloader import DataLoader
from strawberry.types import Info

from community_plus.platform.access import Scope
from community_plus.platform.repository import Repository
from community_plus.settings import Settings

if TYPE_CHECKING:
    from aiohttp import web

    from community_plus.domains.platform import Platform


def _loader(repo: Repository) -> DataLoader[str, dict[str, Any] | None]:
    async def load(ids: list[str]) -> list[dict[str, Any] | None]:
        found = await repo.get_many(ids)
        return [found.get(i) for i in ids]

    return DataLoader(load_fn=load)


@dataclass
class Loaders:
    """DataLoaders, created per request: resolvers never query in a loop."""

    platform: Platform
    _cache: dict[str, DataLoader] = field(default_factory=dict)

    def by_id(self, repo_name: str) -> DataLoader[str, dict[str, Any] | None]:
        loader = self._cache.get(repo_name)
        if loader is None:
            loader = self._cache[repo_name] = _loader(getattr(self.platform, repo_name))
        return loader

    def custom(self, key: str, factory) -> DataLoader:
        loader = self._cache.get(key)
        if loader is None:
            loader = self._cache[key] = factory()
        return loader


@dataclass
class RequestContext:
    """Passed to every resolver as `info.context`."""

    platform: Platform
    scope: Scope
    request_id: str
    request: web.Request | None = None
    response: Any = None
    module_set: frozenset[str] = frozenset()

    @cached_property
    def loaders(self) -> Loaders:
        return Loaders(self.platform)

    @property
    def settings(self) -> Settings:
        return self.platform.settings

    def module_context(self, module: str):
        """The SDK `ModuleContext` of `module` for this request (cached per request)."""
        cache = self.__dict__.setdefault("_module_contexts", {})
        if module not in cache:
            cache[module] = self.platform.modules.context(self.platform, module, scope=self.scope,
                                                          request_id=self.request_id, request_ctx=self)
        return cache[module]

    @property
    def principal(self):
        return self.scope.principal


Ctx = Info[RequestContext, None]  # what every resolver (core, realtime, modules) receives as `info`
