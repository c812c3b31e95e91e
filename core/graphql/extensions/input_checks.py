"""Values no resolver has to defend against, refused before execution for every field of the
core and of every module alike: text that cannot be stored (an unpaired surrogate, NUL) or
is too long (20,000 characters, IDs 256), dates and times outside 1900–2999 (arithmetic on
them overflows), JSON nested deeper than 32 levels, with more than 20,000 values, or with
keys that MongoDB reads as operators or paths (`$where`, `a.b`). One BAD_USER_INPUT names each offending argument path (`input.name`,
`filter.since`, `ids.2`), the same paths the services use.

Literal values are the same for every run of a document, so their problems and the places
variables are used are worked out once per document (cached per schema) with graphql-core's
`TypeInfo`; a run then only walks its variables.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from weakref import WeakKeyDictionary

from graphql import (ArgumentNode, DocumentNode, FragmentDefinitionNode, GraphQLInputObjectType, GraphQLInputType, GraphQLList,
                     GraphQLNonNull, GraphQLScalarType, GraphQLSchema, ListValueNode, ObjectValueNode,
                     OperationDefinitionNode, StringValueNode, TypeInfo, TypeInfoVisitor, ValueNode, VariableNode,
                     Visitor, type_from_ast, value_from_ast_untyped, visit)
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionResult

from community_plus.platform.errors import BadUserInput
from community_plus.platform.validation import (MAX_ID, MAX_JSON_DEPTH, MAX_JSON_NODES, MAX_TEXT, key_problem,
    text_problem, time_problem)

TEXT_SCALARS = frozenset({"String", "ID"})
TIME_SCALARS = frozenset({"DateTime", "Date"})
JSON_SCALARS = frozenset({"JSON"})
_DEEP = f"嵌套过深 (JSON nested deeper than {MAX_JSON_DEPTH} levels)"
_BIG = f"内容过多 (JSON with more than {MAX_JSON_NODES} values)"


@dataclass
class Plan:
    """What one document needs checked: its literals' problems, and where variables are used."""

    literal_problems: dict[str, str] = field(default_factory=dict)
    variables: dict[str, tuple[GraphQLInputType, str]] = field(default_factory=dict)


def _path(parts: list[str | int]) -> str:
    return ".".join(str(p) for p in parts)


def _unwrap(type_: Any) -> Any:
    return type_.of_type if isinstance(type_, GraphQLNonNull) else type_


def json_problems(value: Any, parts: list[str | int]) -> Iterator[tuple[str, str]]:
    """Problems anywhere in a JSON value: its keys, its strings, its depth and size."""
    budget = [MAX_JSON_NODES]
    yield from _json_problems(value, parts, 0, budget)
    if budget[0] < 0:
        yield _path(parts), _BIG


def _json_problems(value: Any, parts: list[str | int], depth: int, budget: list[int]) -> Iterator[tuple[str, str]]:
    budget[0] -= 1
    if budget[0] < 0:
        return
    if depth > MAX_JSON_DEPTH:
        yield _path(parts), _DEEP
    elif isinstance(value, str):
        if problem := text_problem(value):
            yield _path(parts), problem
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and (problem := key_problem(key)):
                yield _path([*parts, key.encode("utf-8", "backslashreplace").decode()[:60]]), problem
                continue
            yield from _json_problems(item, [*parts, key], depth + 1, budget)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _json_problems(item, [*parts, i], depth + 1, budget)


def scalar_problem(type_: GraphQLScalarType, value: Any) -> str | None:
    """The problem of one scalar input value (as JSON), or None; values graphql-core itself
    refuses (wrong types, bad formats) are left to it."""
    name = type_.name
    if name in TEXT_SCALARS:
        return text_problem(value, MAX_ID if name == "ID" else MAX_TEXT) if isinstance(value, str) else None
    if name in TIME_SCALARS and isinstance(value, str):
        try:
            parsed = type_.parse_value(value)
        except Exception:  # malformed: graphql-core reports it
            return None
        return time_problem(parsed) if parsed is not None else None
    return None


def value_problems(value: Any, type_: Any, parts: list[str | int]) -> Iterator[tuple[str, str]]:
    """Problems of a variable's (JSON) value of the given input type."""
    type_ = _unwrap(type_)
    if value is None:
        return
    if isinstance(type_, GraphQLList):
        items = value if isinstance(value, list) else [value]
        for i, item in enumerate(items):
            yield from value_problems(item, type_.of_type, [*parts, i] if isinstance(value, list) else parts)
    elif isinstance(type_, GraphQLInputObjectType):
        if isinstance(value, dict):
            for key, item in value.items():
                f = type_.fields.get(key)
                if f is not None:
                    yield from value_problems(item, f.type, [*parts, key])
    elif isinstance(type_, GraphQLScalarType):
        if type_.name in JSON_SCALARS:
            yield from json_problems(value, parts)
        elif problem := scalar_problem(type_, value):
            yield _path(parts), problem


class _Planner:
    """Walks argument values with their input types: literal problems and variable uses."""

    def __init__(self) -> None:
        self.plan = Plan()
        self.uses: dict[str, str] = {}

    def node(self, node: ValueNode, type_: Any, parts: list[str | int]) -> None:
        if isinstance(node, VariableNode):
            self.uses.setdefault(node.name.value, _path(parts))
            return
        type_ = _unwrap(type_)
        if isinstance(type_, GraphQLList):
            if isinstance(node, ListValueNode):
                for i, item in enumerate(node.values):
                    self.node(item, type_.of_type, [*parts, i])
            else:
                self.node(node, type_.of_type, parts)
        elif isinstance(type_, GraphQLInputObjectType):
            if isinstance(node, ObjectValueNode):
                for f in node.fields:
                    fdef = type_.fields.get(f.name.value)
                    if fdef is not None:
                        self.node(f.value, fdef.type, [*parts, f.name.value])
        elif isinstance(type_, GraphQLScalarType):
            if type_.name in JSON_SCALARS:
                self.json(node, parts, 0)
            elif isinstance(node, StringValueNode) and (problem := scalar_problem(type_, node.value)):
                self.plan.literal_problems.setdefault(_path(parts), problem)

    def json(self, node: ValueNode, parts: list[str | int], depth: int) -> None:
        """A JSON literal, which may hold variables anywhere inside."""
        if isinstance(node, VariableNode):
            self.uses.setdefault(node.name.value, _path(parts))
        elif depth > MAX_JSON_DEPTH:
            self.plan.literal_problems.setdefault(_path(parts), _DEEP)
        elif isinstance(node, ObjectValueNode):
            for f in node.fields:
                self.json(f.value, [*parts, f.name.value], depth + 1)
        elif isinstance(node, ListValueNode):
            for i, item in enumerate(node.values):
                self.json(item, [*parts, i], depth + 1)
        else:
            for path, problem in json_problems(value_from_ast_untyped(node), parts):
                self.plan.literal_problems.setdefault(path, problem)


def make_plan(schema: GraphQLSchema, document: DocumentNode, operation_name: str | None) -> Plan:
    planner = _Planner()
    type_info = TypeInfo(schema)

    class Arguments(Visitor):
        def enter_argument(self, node: ArgumentNode, *_: Any) -> Any:
            arg = type_info.get_argument()
            if arg is not None:
                planner.node(node.value, arg.type, [node.name.value])
            return self.SKIP

    ops = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [o for o in ops if operation_name is None or (o.name and o.name.value == operation_name)][:1]
    fragments = [d for d in document.definitions if isinstance(d, FragmentDefinitionNode)]
    for definition in [*chosen, *fragments]:
        visit(definition, TypeInfoVisitor(type_info, Arguments()))
    for op in chosen:
        for var in op.variable_definitions or ():
            name = var.variable.name.value
            type_ = type_from_ast(schema, var.type)
            if type_ is not None and name in planner.uses:
                planner.plan.variables[name] = (type_, planner.uses[name])  # type: ignore[assignment]
    return planner.plan


class _PlanCache:
    """Plans per schema and document text (bounded, least recently used first out)."""

    def __init__(self, size: int = 512) -> None:
        self.size = size
        self._by_schema: WeakKeyDictionary[GraphQLSchema, OrderedDict[tuple[str, str | None], Plan]] = \
            WeakKeyDictionary()
        self._lock = threading.Lock()

    def get(self, schema: GraphQLSchema, query: str | None, document: DocumentNode,
            operation_name: str | None) -> Plan:
        if query is None:
            return make_plan(schema, document, operation_name)
        key = (query, operation_name)
        with self._lock:
            plans = self._by_schema.setdefault(schema, OrderedDict())
            found = plans.get(key)
            if found is not None:
                plans.move_to_end(key)
                return found
        plan = make_plan(schema, document, operation_name)
        with self._lock:
            plans[key] = plan
            while len(plans) > self.size:
                plans.popitem(last=False)
        return plan


PLANS = _PlanCache()


def input_problems(schema: GraphQLSchema, document: DocumentNode, operation_name: str | None,
                   variables: dict[str, Any] | None, query: str | None = None) -> dict[str, str]:
    """Every offending argument path of one run, with what is wrong there."""
    plan = PLANS.get(schema, query, document, operation_name)
    out = dict(plan.literal_problems)
    for name, (type_, at) in plan.variables.items():
        if variables and name in variables:
            for path, problem in value_problems(variables[name], type_, [at] if at else []):
                out.setdefault(path, problem)
    return out


class InputChecks(SchemaExtension):
    """Refuses an operation whose inputs cannot be stored or computed with (no resolver runs)."""

    def on_execute(self) -> Iterator[None]:
        ctx = self.execution_context
        if ctx.result is None and ctx.graphql_document is not None:
            fields = input_problems(ctx.schema._schema, ctx.graphql_document, ctx.operation_name, ctx.variables,
                                    ctx.query)
            if fields:
                ctx.result = ExecutionResult(data=None, errors=[BadUserInput(fields)])
        yield
