"""Schemas, built once per distinct set of enabled modules and shared by every community
with that set (memory does not grow with the number of communities)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence

import strawberry
from graphql import GraphQLError, NoSchemaIntrospectionCustomRule
from strawberry.schema.schema import DEFAULT_ALLOWED_OPERATION_TYPES
from strawberry.extensions import AddValidationRules, MaxTokensLimiter, ParserCache, ValidationCache
from strawberry.tools import merge_types

from community_plus_sdk.errors import ModuleError

from community_plus.platform.errors import AppError
from community_plus.graphql import api
from community_plus.graphql.executor import CommunityExecutor, lean_resolvers
from community_plus.graphql.hot_path import HotPath
from community_plus.graphql.extensions.input_checks import InputChecks
from community_plus.graphql.extensions.limits import QueryLimits, limits_extension

# A module contributes (query types, mutation types, subscription types, extra types).
Contribution = tuple[Sequence[type], Sequence[type], Sequence[type], Sequence[type]]


_BUILT: OrderedDict[tuple, strawberry.Schema] = OrderedDict()
_BUILT_MAX = 64  # distinct module sets (and hot reloads in the sandbox) per process
_BUILT_LOCK = threading.Lock()


def build_schema(contributions: Iterable[Contribution] = (), *, introspection: bool = True,
                 limits: QueryLimits | None = None) -> strawberry.Schema:
    """The schema of the core plus `contributions`, built once per process for the same types
    and options (a schema holds no per-app state; building one takes a few hundred ms, and a
    process may create many apps: tests, the sandbox, `plugin check`)."""
    contributions = [tuple(tuple(part) for part in c) for c in contributions]
    key = (tuple(contributions), introspection, limits or QueryLimits())
    with _BUILT_LOCK:
        if (found := _BUILT.get(key)) is not None:
            _BUILT.move_to_end(key)
            return found
    schema = _build(contributions, introspection=introspection, limits=limits)
    with _BUILT_LOCK:
        _BUILT[key] = schema
        while len(_BUILT) > _BUILT_MAX:
            _BUILT.popitem(last=False)
    return schema


def _build(contributions: Iterable[Contribution], *, introspection: bool,
           limits: QueryLimits | None) -> strawberry.Schema:
    queries: list[type] = list(api.QUERIES)
    mutations: list[type] = list(api.MUTATIONS)
    subscriptions: list[type] = list(api.SUBSCRIPTIONS)
    types: list[type] = []
    for q, m, s, t in contributions:
        queries += q
        mutations += m
        subscriptions += s
        types += t
    limits = limits or QueryLimits()
    extensions: list = [lambda: MaxTokensLimiter(max_token_count=limits.max_tokens), lambda: ParserCache(maxsize=512),
                        lambda: ValidationCache(maxsize=512), limits_extension(limits), InputChecks]
    if not introspection:
        extensions.append(lambda: AddValidationRules([NoSchemaIntrospectionCustomRule]))
    schema = CommunitySchema(
        query=merge_types("Query", tuple(queries)),
        mutation=merge_types("Mutation", tuple(mutations)),
        subscription=merge_types("Subscription", tuple(subscriptions)) if subscriptions else None,
        types=types,
        extensions=extensions,
        execution_context_class=CommunityExecutor,
    )
    # the same token limit, validation rules and limits as the extensions above (see hot_path)
    schema.hot_path = HotPath.of(schema, limits, () if introspection else (NoSchemaIntrospectionCustomRule,))
    return schema


def _expected(error: GraphQLError) -> bool:
    """A client's mistake: an `AppError`/`ModuleError`, or a variable that failed coercion
    (graphql-core's GraphQLError wrapping a GraphQLError, outside any field)."""
    original = error.original_error
    return original is None or isinstance(original, AppError | ModuleError) or (
        error.path is None and isinstance(original, GraphQLError))


class CommunitySchema(strawberry.Schema):
    """Logs only unexpected errors; expected `AppError`s and client mistakes are answers, not
    incidents. Resolvers are called directly where nothing wraps them (`executor.lean_resolvers`);
    documents already known to be valid skip strawberry's extension runner (`hot_path`)."""

    hot_path: HotPath | None = None

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        lean_resolvers(self)

    async def execute(self, query, variable_values=None, context_value=None, root_value=None,  # type: ignore[no-untyped-def, override]
                      operation_name=None, allowed_operation_types=None, operation_extensions=None):
        if self.hot_path is not None:
            result = await self.hot_path.execute(self, query, variable_values, context_value, root_value,
                                                 operation_name, allowed_operation_types or DEFAULT_ALLOWED_OPERATION_TYPES,
                                                 operation_extensions)
            if result is not None:
                return result
        return await super().execute(query, variable_values, context_value, root_value, operation_name,
                                     allowed_operation_types, operation_extensions)

    def process_errors(self, errors, execution_context=None) -> None:
        unexpected = [e for e in errors if not _expected(e)]
        if unexpected:
            super().process_errors(unexpected, execution_context)


class SchemaCache:
    """`get(modules)` returns the schema for that set of module names, built once and wrapped
    by `wrap(schema, modules)` (the app wraps it in its GraphQL view, whose `.schema` the
    subscription sockets share)."""

    def __init__(self, contributions_for: Callable[[frozenset[str]], Iterable[Contribution]],
                 introspection: bool, limits: QueryLimits | None = None,
                 wrap: Callable[[strawberry.Schema, frozenset[str]], object] = lambda schema, modules: schema) -> None:
        self._contributions_for = contributions_for
        self._wrap = wrap
        self._introspection = introspection
        self._limits = limits
        self._schemas: dict[frozenset[str], object] = {}
        self._lock = threading.Lock()
        self.after_build: Callable[[], None] | None = None  # e.g. `heap.freeze` in a served worker

    def get(self, modules: frozenset[str]) -> object:
        found = self._schemas.get(modules)
        if found is None:
            with self._lock:
                found = self._schemas.get(modules)
                if found is None:
                    schema = build_schema(self._contributions_for(modules), introspection=self._introspection,
                                          limits=self._limits)
                    found = self._schemas[modules] = self._wrap(schema, modules)
                    if self.after_build is not None:
                        self.after_build()
        return found

    def __len__(self) -> int:
        return len(self._schemas)

    def clear(self) -> None:
        self._schemas.clear()
