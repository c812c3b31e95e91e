"""The context of a subscription socket: a `RequestContext` bound after `connection_init`."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from community_plus.platform.context import RequestContext


@dataclass
class SocketContext(RequestContext):
    """`info.context` for operations on a socket; `connection` is set once it is accepted."""

    connection: Any = None
    connection_params: dict[str, Any] | None = None
    realtime: Any = None

    def for_operation(self, module_set: frozenset[str]) -> SocketContext:
        """A context per operation (its own DataLoaders and module contexts)."""
        return replace(self, module_set=module_set)

    def fresh(self) -> None:
        """Forget cached loads before resolving the next event (data may have changed)."""
        self.__dict__.pop("loaders", None)
        self.__dict__.pop("_module_contexts", None)
