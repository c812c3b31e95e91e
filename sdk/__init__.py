"""Community+ SDK: what plugin authors import. Plugins depend on this package only, never on
`community_plus` internals.

Example plugin module::

    from community_plus_sdk import Model, Module, fields, hookimpl

    module = Module(name="notice_board", title="社区公告栏", version="0.1.0")

    class Notice(Model):
        title = fields.String(required=True)

    @hookimpl
    def register_module():
        return module

    @hookimpl
    def register_models():
        return [Notice]
"""

from __future__ import annotations

from . import fields
from .context import Caller, ModuleContext, ScopedCollection
from .errors import (ConflictError, FieldErrors, ForbiddenError, ModuleError, NotFoundError, RetryTransaction,
                     UnauthenticatedError, UserInputError)
from .events import ModuleEvent, Topic
from .hooks import hookimpl
from .models import Model
from .module import CollectionSpec, GraphQLContribution, Module, Permission, Stat
from .version import ENTRY_POINT_GROUP, SDK_MAJOR, __version__
from .tags import RESIDENT_TAGS, tag_schema


def module_context(info: object, module: str) -> ModuleContext:
    """The `ModuleContext` of `module` for a GraphQL resolver's `info`."""
    return info.context.module_context(module)  # type: ignore[attr-defined]


__all__ = ["Caller", "CollectionSpec", "ConflictError", "FieldErrors", "ForbiddenError", "GraphQLContribution", "Model", "Module",
           "ModuleContext", "ModuleError", "ModuleEvent", "NotFoundError", "Permission", "RetryTransaction", "ScopedCollection", "Stat",
           "RESIDENT_TAGS", "Topic", "UnauthenticatedError", "UserInputError", "fields", "hookimpl", "module_context", "tag_schema"]
