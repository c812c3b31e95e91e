"""Limits checked before execution: depth, aliases, tokens and a cost budget computed from
list sizes (`first`). Over a limit → QUERY_TOO_COMPLEX with the measured value and the limit.

Cost model: every field costs 1; a field taking `first` multiplies the cost of its selection
by `first` (default 20, capped at 100). So `residents(first: 50) { edges { node { grid {
name } } } }` costs 1 + 50 × (1 + 1 + 1 + 1 + 1) = 251.
"""

from __future__ import annotations

from collections.abc import Iterator
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from graphql import (FieldNode, FragmentDefinitionNode, FragmentSpreadNode, GraphQLError, InlineFragmentNode,
                     IntValueNode, OperationDefinitionNode, SelectionSetNode, VariableNode)
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionResult

from community_plus.platform.repository import MAX_PAGE
from community_plus_sdk.relay import DEFAULT_FIRST


@dataclass(frozen=True)
class QueryLimits:
    max_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 3000
    max_cost: int = 5000


class TooComplex(GraphQLError):
    def __init__(self, what: str, value: int, limit: int) -> None:
        super().__init__(f"查询过于复杂 (query too complex: {what} {value} exceeds the limit of {limit})",
                         extensions={"code": "QUERY_TOO_COMPLEX", "measure": what, "value": value, "limit": limit})


class _Walker:
    def __init__(self, fragments: dict[str, FragmentDefinitionNode], variables: dict[str, Any]) -> None:
        self.fragments = fragments
        self.variables = variables
        self.aliases = 0
        self.depth = 0

    def _first(self, node: FieldNode) -> int | None:
        for arg in node.arguments or ():
            if arg.name.value in ("first", "last", "limit"):
                # clamped to 0..MAX_PAGE: a negative `first` (refused by its resolver) must not
                # lower the cost of the siblings that still run
                if isinstance(arg.value, IntValueNode):
                    return max(0, min(int(arg.value.value), MAX_PAGE))
                if isinstance(arg.value, VariableNode):
                    value = self.variables.get(arg.value.name.value)
                    return max(0, min(int(value), MAX_PAGE)) if isinstance(value, int) else DEFAULT_FIRST
        return None

    def fields(self, selection_set: SelectionSetNode | None, seen: frozenset[str]) -> Iterator[FieldNode]:
        for sel in selection_set.selections if selection_set else ():
            if isinstance(sel, FieldNode):
                yield sel
            elif isinstance(sel, InlineFragmentNode):
                yield from self.fields(sel.selection_set, seen)
            elif isinstance(sel, FragmentSpreadNode) and sel.name.value not in seen:
                frag = self.fragments.get(sel.name.value)
                if frag is not None:
                    yield from self.fields(frag.selection_set, seen | {sel.name.value})

    def cost(self, selection_set: SelectionSetNode | None, depth: int) -> int:
        self.depth = max(self.depth, depth)
        total = 0
        for node in self.fields(selection_set, frozenset()):
            if node.alias is not None:
                self.aliases += 1
            if node.name.value.startswith("__"):
                total += 1
                continue
            child = self.cost(node.selection_set, depth + 1) if node.selection_set else 0
            first = self._first(node)
            total += 1 + (first if first is not None else 1) * child
        return total


def measure(document, operation_name: str | None, variables: dict[str, Any] | None) -> dict[str, int]:
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    ops = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name:
        ops = [o for o in ops if o.name and o.name.value == operation_name] or ops
    walker = _Walker(fragments, variables or {})
    cost = sum(walker.cost(op.selection_set, 1) for op in ops[:1])
    return {"cost": cost, "depth": walker.depth, "aliases": walker.aliases}


_MEASURED: OrderedDict[tuple[str, str | None, str], dict[str, int]] = OrderedDict()
MEASURE_CACHE = 1024


def measured(document, query: str | None, operation_name: str | None, variables: dict[str, Any] | None
             ) -> dict[str, int]:
    """`measure`, remembered per (query, operation, small variables): hot queries are measured once."""
    key_vars = repr(sorted((variables or {}).items()))
    if query is None or len(key_vars) > 200:
        return measure(document, operation_name, variables)
    key = (query, operation_name, key_vars)
    found = _MEASURED.get(key)
    if found is None:
        found = _MEASURED[key] = measure(document, operation_name, variables)
        if len(_MEASURED) > MEASURE_CACHE:
            _MEASURED.popitem(last=False)
    return found


def limits_extension(limits: QueryLimits) -> type[SchemaExtension]:
    class QueryLimitsExtension(SchemaExtension):
        """Refuses an operation over the limits before it executes (no resolver runs)."""

        def on_execute(self):
            ctx = self.execution_context
            if ctx.graphql_document is not None:
                m = measured(ctx.graphql_document, ctx.query, ctx.operation_name, ctx.variables)
                for what, value, limit in (("depth", m["depth"], limits.max_depth),
                                           ("aliases", m["aliases"], limits.max_aliases),
                                           ("cost", m["cost"], limits.max_cost)):
                    if value > limit:
                        ctx.result = ExecutionResult(data=None, errors=[TooComplex(what, value, limit)])
                        break
            yield

    return QueryLimitsExtension
