"""Known-good documents executed without strawberry's per-request extension machinery.

strawberry's `Schema.execute` builds, per request, an execution context, one instance of each
schema extension (token limit, parser cache, validation cache, query limits, input checks),
a middleware manager, and runs four rounds of generator hooks through its extension runner
(operation, parsing, validation, executing) — about 0.1 ms of CPU before the first resolver,
the same for every request of a document already seen.

`HotPath` keeps, per schema, the documents that parsed within the token limit and validated
without errors (keyed by query text and operation name, bounded). A request for such a
document runs what those extensions would do, as plain calls: the operation type against
the allowed ones, the query limits (`limits.measured`) and the input checks
(`input_checks.input_problems`) for this request's variables, then graphql-core's `execute`
with the `CommunityExecutor`. Anything that would produce a refusal (a new or invalid
document, an operation type not allowed, a limit exceeded, an offending input) returns
None and the caller takes strawberry's full path, so every error is strawberry's own. Errors
raised by resolvers go through `Schema.process_errors` (logging) exactly as strawberry does.

The hot path is only taken when it replicates the schema's extensions: `HotPath.of` is given
the token limit, the validation rules and the query limits the schema was built with, and
is disabled when the schema has directives (strawberry adds a resolve middleware for them)
or an extension that wraps resolvers or adds results.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from graphql import DocumentNode, GraphQLError, OperationDefinitionNode, execute, parse, specified_rules
from strawberry.execution import optimized_is_awaitable
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document
from strawberry.types import ExecutionContext, ExecutionResult
from strawberry.types.graphql import OperationType
from strawberry.utils.operation import get_operation_type

from community_plus.graphql.executor import CommunityExecutor
from community_plus.graphql.extensions.input_checks import input_problems
from community_plus.graphql.extensions.limits import QueryLimits, measured

_RUNNABLE = frozenset({OperationType.QUERY, OperationType.MUTATION})
MAX_DOCUMENTS = 512


class HotPath:
    """Per schema: documents known to parse and validate cleanly, and how to run them."""

    def __init__(self, limits: QueryLimits, rules: tuple, max_documents: int = MAX_DOCUMENTS) -> None:
        self.limits = limits
        self.rules = rules
        self.max_documents = max_documents
        # (query, provided operation name) → (document, effective operation name, operation type)
        self.documents: dict[tuple[str, str | None], tuple[DocumentNode, str | None, OperationType] | None] = {}

    @classmethod
    def of(cls, schema: Any, limits: QueryLimits, extra_rules: Iterable[type] = ()) -> HotPath | None:
        """The hot path of a built schema, or None where it would not do what strawberry does."""
        extensions = schema.get_extensions()
        if schema.directives or any(ext._implements_resolve() or type(ext).get_results is not
                                    SchemaExtension.get_results for ext in extensions):
            return None
        return cls(limits, (*specified_rules, *extra_rules))

    def _learn(self, schema: Any, query: str, operation_name: str | None
               ) -> tuple[DocumentNode, str | None, OperationType] | None:
        """Parse (token limit), choose the operation as strawberry does, validate; None on any error."""
        try:
            document = parse(query, max_tokens=self.limits.max_tokens)
        except GraphQLError:
            entry = None
        else:
            name = operation_name
            if name is None:  # strawberry runs the first operation when none is named
                first = next((d for d in document.definitions if isinstance(d, OperationDefinitionNode)), None)
                name = first.name.value if first is not None and first.name else None
            try:
                operation_type = get_operation_type(document, name)
            except RuntimeError:
                entry = None
            else:
                clean = not validate_document(schema._schema, document, self.rules)
                entry = (document, name, operation_type) if clean else None
        if len(self.documents) >= self.max_documents:
            self.documents.pop(next(iter(self.documents)))  # oldest first out
        self.documents[(query, operation_name)] = entry
        return entry

    async def execute(self, schema: Any, query: str | None, variables: dict[str, Any] | None, context: Any,
                      root_value: Any, operation_name: str | None, allowed: Iterable[OperationType],
                      operation_extensions: dict[str, Any] | None) -> ExecutionResult | None:
        """The result of a known-good document, or None: take strawberry's path."""
        if not query or not isinstance(query, str):
            return None
        key = (query, operation_name)
        entry = self.documents[key] if key in self.documents else self._learn(schema, query, operation_name)
        if entry is None:
            return None
        document, name, operation_type = entry
        if operation_type not in allowed or operation_type not in _RUNNABLE:
            return None
        limits = self.limits
        m = measured(document, query, name, variables)
        if m["depth"] > limits.max_depth or m["aliases"] > limits.max_aliases or m["cost"] > limits.max_cost:
            return None
        if input_problems(schema._schema, document, name, variables, query):
            return None
        try:
            result = execute(schema._schema, document, root_value=root_value, variable_values=variables,
                             operation_name=name, context_value=context, is_awaitable=optimized_is_awaitable,
                             executor_class=CommunityExecutor, operation_extensions=operation_extensions)
            if optimized_is_awaitable(result):
                result = await result
        except Exception as exc:  # noqa: BLE001  (as strawberry's execute: an error result, not a crash)
            error = exc if isinstance(exc, GraphQLError) else GraphQLError(str(exc), original_error=exc)
            self._process(schema, [error], query, variables, context, root_value, operation_name)
            return ExecutionResult(data=None, errors=[error], extensions={})
        if result.errors:
            self._process(schema, result.errors, query, variables, context, root_value, operation_name)
        return ExecutionResult(data=result.data, errors=result.errors, extensions={})

    @staticmethod
    def _process(schema: Any, errors: list[GraphQLError], query: str, variables: Any, context: Any,
                 root_value: Any, operation_name: str | None) -> None:
        """`process_errors` with an execution context as strawberry would pass it (for its log)."""
        execution_context = ExecutionContext(query=query, schema=schema, allowed_operations=_RUNNABLE,
                                             context=context, root_value=root_value, variables=variables,
                                             provided_operation_name=operation_name)
        execution_context.pre_execution_errors = errors
        schema._process_errors(errors, execution_context)
