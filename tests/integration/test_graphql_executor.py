"""The executor's inline paths (plain leaves, plain objects, direct resolver calls) answer
exactly as graphql-core's own executor does: data, errors, their paths and messages, null
propagation — on a schema made to break in each way."""

from __future__ import annotations

import asyncio
import enum

import pytest
import strawberry
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from community_plus.graphql.executor import CommunityExecutor, direct_fields, lean_resolvers, plain_leaves


@strawberry.enum
class Color(enum.Enum):
    RED = "red"


@strawberry.type
class Inner:
    name: str
    opt: str | None
    color: Color

    @strawberry.field
    def boom(self) -> str:
        raise ValueError("boom")

    @strawberry.field
    async def later(self, info: strawberry.Info) -> str:
        return f"later:{info.path.key}"

    @strawberry.field
    def echo(self, x: int = 3, s: str | None = None) -> str:
        return f"{x}{s}"

    @strawberry.field
    def colored(self, color: Color = Color.RED) -> str:  # an enum argument: strawberry converts it
        return color.value


@strawberry.type
class Outer:
    inner: Inner
    maybe: Inner | None
    n: int

    @strawberry.field
    def child(self, info: strawberry.Info, upper: bool = False) -> Inner | None:  # a resolver returning an object
        if self.n == 2:
            return None
        return Inner(name=f"{info.path.prev.key}:{upper}", opt=None, color=Color.RED)

    @strawberry.field
    def must(self) -> Inner:  # non-null: `null` for row 3 propagates to the row
        return None if self.n == 3 else self.inner  # type: ignore[return-value]

    @strawberry.field
    def label(self) -> str:  # a resolver returning a leaf; raises for row 4
        if self.n == 4:
            raise ValueError("no label")
        return f"row {self.n}"


def _rows() -> list[Outer | None]:
    return [Outer(inner=Inner(name="a", opt=None, color=Color.RED), maybe=None, n=1),
            Outer(inner=Inner(name=None, opt="o", color=Color.RED), maybe=None, n=2),  # type: ignore[arg-type]
            Outer(inner=Inner(name="c", opt=None, color="bad"), maybe=None, n=3),  # type: ignore[arg-type]
            Outer(inner=Inner(name="d", opt=None, color=Color.RED), maybe=None, n="zz"),  # type: ignore[arg-type]
            Outer(inner=None, maybe=None, n=5),  # type: ignore[arg-type]
            Outer(inner=Inner(name="f", opt=None, color=Color.RED),
                  maybe=Inner(name="g", opt=None, color=Color.RED), n=6)]


@strawberry.type
class Query:
    @strawberry.field
    def rows(self) -> list[Outer | None]:
        return _rows()

    @strawberry.field
    async def first(self) -> Outer:
        return _rows()[-1]


QUERIES = [
    "{ rows { inner { name opt color echo(x: 5) e2: echo colored later } maybe { name boom later } n } }",
    "{ rows { n maybe { name boom } inner { later name } } }",
    "query($x: Int!, $s: String) { first { inner { echo(x: $x, s: $s) colored(color: RED) } maybe { later } } }",
    "{ first { ... on Outer { inner { name ...F } } } } fragment F on Inner { opt color }",
    "{ rows { n child { name boom } c2: child(upper: true) { name } must { name color } label } }",
    "query($u: Boolean) { rows { child(upper: $u) { name later } label } first { must { opt } } }",
]


def _run(query: str, fast: bool) -> tuple[object, list[tuple[str, tuple]]]:
    schema = strawberry.Schema(Query, execution_context_class=CommunityExecutor if fast else
                               StrawberryGraphQLCoreExecutionContext)
    if fast:
        assert lean_resolvers(schema) > 0
    result = asyncio.run(schema.execute(query, variable_values={"x": 7, "s": "q"}))
    return result.data, sorted((e.message, tuple(e.path or ()), tuple((loc.line, loc.column) for loc in e.locations or ()))
                               for e in result.errors or [])


@pytest.mark.parametrize("query", QUERIES)
def test_same_answer_as_graphql_core(query):
    stock = _run(query, fast=False)
    assert stock[1] or query.startswith("query") or "fragment" in query  # the broken rows do produce errors
    assert _run(query, fast=True) == stock


def test_only_plain_fields_are_inlined():
    schema = strawberry.Schema(Query, execution_context_class=CommunityExecutor)
    plans = plain_leaves(schema._schema)
    assert set(plans["Inner"]) == {"name", "opt", "color"}  # resolvers are not
    assert set(plans["Outer"]) == {"inner", "maybe", "n"}
    assert "Query" not in plans
    assert lean_resolvers(schema) > 0
    directs = direct_fields(schema._schema)
    assert set(directs["Outer"]) == {"child", "must", "label"}
    assert directs["Outer"]["child"][1] is schema._schema.type_map["Inner"]  # completed by its sub-fields
    assert directs["Outer"]["label"][1] is None  # a leaf: graphql-core's completion
