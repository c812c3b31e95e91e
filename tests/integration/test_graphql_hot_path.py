"""The hot path (`graphql.hot_path`) answers a known-good document exactly as strawberry's
full path does, and steps aside (None) for everything that strawberry would refuse, so that
refusal keeps strawberry's own error: syntax, validation, tokens, limits, inputs, operation type."""

from __future__ import annotations

import asyncio

import pytest
import strawberry
from graphql import NoSchemaIntrospectionCustomRule
from strawberry.extensions import AddValidationRules, MaxTokensLimiter, ParserCache, ValidationCache
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types.graphql import OperationType

from community_plus.graphql.executor import CommunityExecutor, lean_resolvers
from community_plus.graphql.extensions.input_checks import InputChecks
from community_plus.graphql.extensions.limits import QueryLimits, limits_extension
from community_plus.graphql.hot_path import HotPath

LIMITS = QueryLimits(max_depth=4, max_aliases=3, max_tokens=60, max_cost=200)


@strawberry.type
class Item:
    name: str

    @strawberry.field
    def fail(self) -> str | None:
        raise ValueError("broken")


@strawberry.type
class Query:
    @strawberry.field
    def items(self, first: int = 3, prefix: str = "i") -> list[Item]:
        return [Item(name=f"{prefix}{n}") for n in range(first)]

    @strawberry.field
    def nested(self) -> Query:
        return Query()


@strawberry.type
class Mutation:
    @strawberry.mutation
    def touch(self, note: str) -> str:
        return note


def _schema() -> strawberry.Schema:
    schema = strawberry.Schema(Query, Mutation, execution_context_class=CommunityExecutor, extensions=[
        lambda: MaxTokensLimiter(max_token_count=LIMITS.max_tokens), lambda: ParserCache(maxsize=16),
        lambda: ValidationCache(maxsize=16), limits_extension(LIMITS), InputChecks,
        lambda: AddValidationRules([NoSchemaIntrospectionCustomRule])])
    lean_resolvers(schema)
    return schema


def _answer(result) -> tuple:
    return result.data, [(e.message, e.path, e.extensions) for e in result.errors or []], result.extensions or {}


def _both(query: str, variables=None, allowed=frozenset({OperationType.QUERY, OperationType.MUTATION}),
          operation_name=None):
    schema = _schema()
    hot = HotPath.of(schema, LIMITS, (NoSchemaIntrospectionCustomRule,))
    assert hot is not None
    fast = asyncio.run(hot.execute(schema, query, variables, None, None, operation_name, allowed, None))
    full = asyncio.run(schema.execute(query, variables, allowed_operation_types=allowed,
                                      operation_name=operation_name))
    return fast, full


@pytest.mark.parametrize("query, variables", [
    ("{ items { name } }", None),
    ("query Q($n: Int!) { items(first: $n) { name fail } }", {"n": 2}),  # a resolver error, located
    ("query A { items(first: 1) { name } } query B { nested { items { name } } }", None),  # first operation
    ("mutation { touch(note: \"hi\") }", None),
    ("query Q($n: Int!) { items(first: $n) { name } }", {"n": "two"}),  # variable coercion error
])
def test_same_answer_as_strawberry(query, variables):
    fast, full = _both(query, variables)
    assert fast is not None
    assert _answer(fast) == _answer(full)


@pytest.mark.parametrize("query, variables, allowed", [
    ("{ items { name }", None, None),  # syntax
    ("{ items { nope } }", None, None),  # validation
    ("{ __schema { types { name } } }", None, None),  # introspection switched off
    ("{ " + " ".join(f"a{i}: items {{ name }}" for i in range(12)) + " }", None, None),  # tokens
    ("{ nested { nested { nested { nested { items { name } } } } } }", None, None),  # depth
    ("query Q($n: Int!) { items(first: $n) { name } nested { items(first: $n) { name } } }", {"n": 100}, None),  # cost
    ("query Q($p: String!) { items(prefix: $p) { name } }", {"p": "a\x00b"}, None),  # input checks
])
def test_refusals_take_strawberrys_path(query, variables, allowed):
    fast, full = _both(query, variables, *([allowed] if allowed else []))
    assert fast is None
    assert full.errors  # strawberry's own refusal stays


def test_mutation_over_get_stays_strawberrys_error():
    schema = _schema()
    hot = HotPath.of(schema, LIMITS)
    assert asyncio.run(hot.execute(schema, "mutation { touch(note: \"x\") }", None, None, None, None,
                                   {OperationType.QUERY}, None)) is None
    with pytest.raises(InvalidOperationTypeError):  # the view turns it into 405 (tests/integration/test_client_errors.py)
        asyncio.run(schema.execute("mutation { touch(note: \"x\") }", allowed_operation_types={OperationType.QUERY}))


def test_not_taken_with_a_resolve_middleware():
    class Wrap(strawberry.extensions.SchemaExtension):
        def resolve(self, _next, root, info, *args, **kwargs):
            return _next(root, info, *args, **kwargs)

    assert HotPath.of(strawberry.Schema(Query, extensions=[Wrap]), LIMITS) is None


def test_documents_are_bounded():
    schema = _schema()
    hot = HotPath(LIMITS, (), max_documents=4)
    for n in range(10):
        assert asyncio.run(hot.execute(schema, f"{{ items(first: {n % 3}) {{ name }} }} # {n}", None, None, None,
                                       None, {OperationType.QUERY}, None)) is not None
    assert len(hot.documents) == 4
