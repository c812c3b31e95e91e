"""graphql-core's executor with plain leaves read inline.

Most fields of a page of rows are plain attributes holding a scalar or an enum (`id`,
`title`, `state`, `dueAt`, `name`): no resolver, no arguments, no field extension. The stock
executor runs the whole field machinery for each (a `Path`, strawberry's `Info`, the resolver
wrapper, `complete_value`), about 20 Python calls per value. `CommunityExecutor` reads such a
field with `getattr` and coerces it with the field type's own `coerce_output_value`, in the
loop over the selection, and hands every other field (resolvers, objects, lists, arguments)
to the stock `execute_field`. Anything unusual about a plain value — missing, `null` where
the type is non-null, a value the scalar refuses, an awaitable — also goes the stock way, so
errors, their paths and messages are exactly graphql-core's.

Which fields are plain is worked out once per schema (`plain_leaves`). With a resolve
middleware (a strawberry extension implementing `resolve`) every field goes the stock way.

`lean_resolvers` replaces, once per schema, strawberry's wrapper around a field's resolver by
a direct call when the field has no field extension (permissions are one) and no exception
handler: strawberry's wrapper builds a chain of partials for the (absent) extensions and, for
an async resolver, one more coroutine per call; the direct call converts the arguments with
strawberry's own `convert_arguments` and passes `self`/`root`/`parent`/`info` exactly as
strawberry's `get_arguments` does. Such a field is then run from the executor's loop
(`direct_fields`, `_direct_field`): graphql-core's `execute_field` without the second field
lookup and middleware check, with the argument values of a field written without arguments
(`phone` and its default `reveal: false`) computed once per request, and an object returned
without `is_type_of` completed by its sub-fields; errors are handled by graphql-core's
`handle_field_error` at the same paths.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from weakref import WeakKeyDictionary

from graphql import (GraphQLEnumType, GraphQLField, GraphQLNonNull, GraphQLObjectType, GraphQLScalarType,
                     GraphQLSchema, Undefined)
from graphql.execution.executor import to_nodes
from graphql.execution.values import get_argument_values
from graphql.pyutils import Path, gather_with_cancel
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types.arguments import convert_arguments
from strawberry.types.base import StrawberryOptional
from strawberry import ID

# per object type name: {field name: (attribute, coerce_output_value, non_null, None)} for a
# leaf, (attribute, None, non_null, object type) for a plain attribute holding an object
Leaves = dict[str, dict[str, tuple[str, Callable[[Any], Any] | None, bool, GraphQLObjectType | None]]]
_PLANS: WeakKeyDictionary[GraphQLSchema, Leaves] = WeakKeyDictionary()
_MISSING = object()
_NONE: dict[str, Any] = {}  # read only
# values of these exact types are never awaitable: no `is_awaitable` call per leaf
_SETTLED = frozenset({str, int, float, bool, datetime, date})


def _planned(schema: GraphQLSchema, cache: WeakKeyDictionary, plan: Callable[[GraphQLField], Any]) -> Any:
    """`{type name: {field name: plan(field)}}` over the schema's own object types, worked out
    once per schema; fields planned None are left out."""
    found = cache.get(schema)
    if found is None:
        found = cache[schema] = {}
        for type_ in schema.type_map.values():
            if isinstance(type_, GraphQLObjectType) and not type_.name.startswith("__"):
                fields = {name: p for name, field in type_.fields.items() if (p := plan(field)) is not None}
                if fields:
                    found[type_.name] = fields
    return found


def plain_leaves(schema: GraphQLSchema) -> Leaves:
    """The fields of each object type that are a plain attribute of a scalar or enum type, or
    of an object type without `is_type_of` (completed by collecting its sub-fields at once)."""
    return _planned(schema, _PLANS, _plain_leaf)


def _plain_leaf(field: GraphQLField) -> tuple[str, Callable[[Any], Any] | None, bool, GraphQLObjectType | None] | None:
    definition = (field.extensions or {}).get("strawberry-definition")
    if definition is None or field.args or not getattr(field.resolve, "_is_default", False) \
            or not definition.is_basic_field or definition.default_resolver is not getattr:
        return None
    inner = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
    non_null = isinstance(field.type, GraphQLNonNull)
    if isinstance(inner, GraphQLScalarType | GraphQLEnumType):
        return definition.python_name, inner.coerce_output_value, non_null, None
    if isinstance(inner, GraphQLObjectType) and inner.is_type_of is None:
        return definition.python_name, None, non_null, inner
    return None


# per object type name: {field name: (field, object type or None)} for a field whose resolver is
# a direct call (`lean_resolvers`); the object type when it returns one without `is_type_of`
Directs = dict[str, dict[str, tuple[GraphQLField, GraphQLObjectType | None]]]
_DIRECTS: WeakKeyDictionary[GraphQLSchema, Directs] = WeakKeyDictionary()


def direct_fields(schema: GraphQLSchema) -> Directs:
    """The fields called directly by the executor's loop (resolver, arguments, completion)."""
    return _planned(schema, _DIRECTS, _direct_field_plan)


def _direct_field_plan(field: GraphQLField) -> tuple[GraphQLField, GraphQLObjectType | None] | None:
    if not getattr(field.resolve, "_is_direct", False):
        return None
    inner = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
    plain_object = isinstance(inner, GraphQLObjectType) and inner.is_type_of is None
    return field, inner if plain_object else None


_PLAIN_ARGUMENTS = (bool, int, float, str, ID)


def _plain_argument(type_: Any) -> bool:
    """Whether strawberry's `convert_argument` returns a value of this type unchanged."""
    if type(type_) is StrawberryOptional:  # not `Maybe` (a subclass), which wraps values in `Some`
        type_ = type_.of_type
    return any(type_ is t for t in _PLAIN_ARGUMENTS)


def _direct(definition: Any, schema: Any) -> Callable[..., Any]:
    """`definition`'s resolver called the way strawberry's `get_arguments` calls it."""
    base = definition.base_resolver
    func = base.wrapped_func
    takes_self = base.self_parameter is not None
    sources = [p.name for p in (base.parent_parameter, base.root_parameter) if p is not None]
    info_name = base.info_parameter.name if base.info_parameter is not None else None
    arguments = definition.arguments
    config = schema.config
    registry = schema.schema_converter.scalar_registry
    info_class = config.info_class

    # arguments of a built-in scalar type (or optional one) arrive as they are: a name map is enough
    plain = all(_plain_argument(a.type) for a in arguments)
    names = [(config.name_converter.from_argument(a), a.python_name) for a in arguments]

    def resolve(source: Any, info: Any, **raw: Any) -> Any:
        strawberry_info = info_class(_raw_info=info, _field=definition) if info_name or not plain else None
        if not arguments:
            kwargs = {}
        elif plain:
            kwargs = {python: raw[name] for name, python in names if name in raw}
        else:
            kwargs = convert_arguments(raw, arguments, scalar_registry=registry, config=config, info=strawberry_info)
        for name in sources:
            kwargs[name] = source
        if info_name:
            kwargs[info_name] = strawberry_info
        return func(source, **kwargs) if takes_self else func(**kwargs)

    resolve._is_default = False  # type: ignore[attr-defined]
    resolve._is_direct = True  # type: ignore[attr-defined]
    return resolve


def lean_resolvers(schema: Any) -> int:
    """Swap strawberry's resolver wrappers for direct calls where nothing wraps the resolver
    (see the module docstring); the number of fields changed."""
    converter = schema.schema_converter
    if converter._exception_handler_specs:  # handlers may turn exceptions into results: keep strawberry's way
        return 0
    subscription = schema._schema.subscription_type
    changed = 0
    for type_ in schema._schema.type_map.values():
        if not isinstance(type_, GraphQLObjectType) or type_.name.startswith("__") or type_ is subscription:
            continue
        for field in type_.fields.values():
            definition = (field.extensions or {}).get("strawberry-definition")
            if definition is None or definition.base_resolver is None or definition.extensions \
                    or definition.is_subscription or not callable(definition.base_resolver.wrapped_func):
                continue
            field.resolve = _direct(definition, schema)
            changed += 1
    return changed


class CommunityExecutor(StrawberryGraphQLCoreExecutionContext):
    """strawberry's executor; plain leaves are read inline (see the module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        middleware = self.middleware_manager
        plain = middleware is None or getattr(middleware, "_middleware_resolvers", None) is None
        self._leaves: Leaves = plain_leaves(self.schema) if plain else {}
        self._directs: Directs = direct_fields(self.schema) if plain else {}
        self._defaults: dict[int, dict[str, Any]] = {}  # argument values of a field written without any

    def execute_fields(self, parent_type, source_value, path, grouped_field_set, position_context):  # type: ignore[no-untyped-def]
        leaves = self._leaves.get(parent_type.name)
        directs = self._directs.get(parent_type.name)
        if leaves is None and directs is None:
            return super().execute_fields(parent_type, source_value, path, grouped_field_set, position_context)
        leaves = leaves or _NONE
        directs = directs or _NONE
        results: dict[str, Any] = {}
        is_awaitable = self.is_awaitable
        awaitable_fields: list[str] = []
        try:
            for response_name, field_details_list in grouped_field_set.items():
                plan = leaves.get(field_details_list[0].node.name.value)
                if plan is not None:
                    value = getattr(source_value, plan[0], _MISSING)
                    if value is None:
                        if not plan[2]:
                            results[response_name] = None
                            continue
                    elif plan[3] is not None:
                        if value is not _MISSING and not is_awaitable(value) and not isinstance(value, Exception):
                            results[response_name] = completed = self._object(
                                parent_type, plan[3], plan[2], field_details_list, Path(path, response_name,
                                                                                        parent_type.name),
                                value, position_context)
                            if is_awaitable(completed):
                                awaitable_fields.append(response_name)
                            continue
                    elif value is not _MISSING and (type(value) in _SETTLED or not is_awaitable(value)):
                        try:
                            coerced = plan[1](value)
                        except Exception:  # noqa: BLE001  (the stock path below reports it)
                            coerced = Undefined
                        if coerced is not Undefined and coerced is not None:
                            results[response_name] = coerced
                            continue
                direct = directs.get(field_details_list[0].node.name.value) if plan is None else None
                if direct is not None:
                    result = self._direct_field(direct, parent_type, source_value, field_details_list,
                                                Path(path, response_name, parent_type.name), position_context)
                else:
                    result = self.execute_field(parent_type, source_value, field_details_list,
                                                Path(path, response_name, parent_type.name), position_context)
                if result is not Undefined:
                    results[response_name] = result
                    if is_awaitable(result):
                        awaitable_fields.append(response_name)
        except Exception:
            if awaitable_fields:
                self.settle_in_background([results[field] for field in awaitable_fields])
            raise
        if not awaitable_fields:
            return results

        async def get_results() -> dict[str, Any]:  # as graphql-core's execute_fields
            if len(awaitable_fields) == 1:
                field = awaitable_fields[0]
                results[field] = await results[field]
            else:
                awaited = await gather_with_cancel(*(results[field] for field in awaitable_fields))
                results.update(zip(awaitable_fields, awaited, strict=True))
            return results

        return get_results()

    def _direct_field(self, direct: tuple[GraphQLField, GraphQLObjectType | None], parent_type: GraphQLObjectType,
                      source: Any, field_details_list: Any, path: Path, position_context: Any) -> Any:
        """graphql-core's `execute_field` for a directly called resolver, without looking the
        field up again, with the argument values of a field written without arguments computed
        once per request, and an object without `is_type_of` completed by its sub-fields."""
        field_def, object_type = direct
        details = field_details_list[0]
        node = details.node
        return_type = field_def.type
        info = self.build_resolve_info(field_def, to_nodes(field_details_list), parent_type, path)
        try:
            if node.arguments:
                args = get_argument_values(field_def, node, self.variable_values, details.fragment_variable_values,
                                           self.hide_suggestions)
            elif field_def.args:
                args = self._defaults.get(id(field_def))
                if args is None:
                    args = self._defaults[id(field_def)] = get_argument_values(
                        field_def, node, self.variable_values, details.fragment_variable_values,
                        self.hide_suggestions)
            else:
                args = _NONE
            value = field_def.resolve(source, info, **args)  # type: ignore[misc]
            if self.is_awaitable(value):
                return self.complete_awaitable_value(return_type, field_details_list, info, path, value,
                                                     position_context)
            if value is None and not isinstance(return_type, GraphQLNonNull):
                return None
            if object_type is not None and value is not None and not isinstance(value, Exception):
                completed = self.collect_and_execute_subfields(object_type, field_details_list, path, value,
                                                               position_context)
            else:
                completed = self.complete_value(return_type, field_details_list, info, path, value, position_context)
        except Exception as raw_error:  # noqa: BLE001  (as graphql-core's execute_field)
            self.handle_field_error(raw_error, return_type, field_details_list, path)
            return None
        if self.is_awaitable(completed):
            return _await_completed(self, completed, return_type, field_details_list, path)
        return completed

    def _object(self, parent_type: GraphQLObjectType, object_type: GraphQLObjectType, non_null: bool,
                field_details_list: Any, path: Path, value: Any, position_context: Any) -> Any:
        """A plain attribute holding an object: its sub-fields, with the error handling of
        graphql-core's `execute_field` for this field."""
        try:
            completed = self.collect_and_execute_subfields(object_type, field_details_list, path, value,
                                                           position_context)
        except Exception as raw_error:  # noqa: BLE001  (located and propagated or nulled as graphql-core does)
            self.handle_field_error(raw_error, GraphQLNonNull(object_type) if non_null else object_type,
                                    field_details_list, path)
            return None
        if self.is_awaitable(completed):
            return _await_completed(self, completed, GraphQLNonNull(object_type) if non_null else object_type,
                                    field_details_list, path)
        return completed


async def _await_completed(executor: Any, completed: Any, return_type: Any, field_details_list: Any,
                           path: Path) -> Any:
    try:
        return await completed
    except Exception as raw_error:  # noqa: BLE001
        executor.handle_field_error(raw_error, return_type, field_details_list, path)
        return None
