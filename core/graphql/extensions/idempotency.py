"""`Idempotency-Key` for every mutation, core and modules alike (the rule is in
`community_plus_sdk.idempotency`).

The first attempt *claims* the key before it runs (one document per caller and key, with a
lease of twice the request budget); its answer is then stored and replayed to every retry
with the same request. A retry that arrives while the first attempt still runs gets CONFLICT
(`reason: IDEMPOTENCY_IN_PROGRESS`, retryable) instead of running twice. When the first
attempt's outcome is unknown (the database failed under it, or the client left and the work
was cancelled) the claim is kept until its lease ends; a retry then runs again, and its
inserts find the first attempt's documents by their stamps (`repositories.stamps`) instead
of inserting twice. An attempt refused before it ran
(a validation error) releases its key.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from functools import lru_cache
from typing import Any

from graphql import GraphQLError, OperationType, get_operation_ast, parse
from graphql.error import GraphQLSyntaxError
from strawberry.types import ExecutionResult

from community_plus_sdk.errors import ModuleError
from community_plus_sdk.idempotency import KEY_REUSED, KEY_RULE, key_problem

from community_plus.platform.errors import AppError, BadUserInput, Conflict
from community_plus.platform import stamps
from community_plus.platform.idempotency_claims import IdempotencyRepository

HEADER = "Idempotency-Key"


@lru_cache(maxsize=512)
def _is_mutation(query: str, operation_name: str | None) -> bool:
    try:
        operation = get_operation_ast(parse(query), operation_name)
    except (GraphQLSyntaxError, RecursionError):
        return False
    return operation is not None and operation.operation == OperationType.MUTATION


def _plain(value: Any) -> Any:
    """An uploaded file (multipart) counts by its content, not by its temp file's name."""
    digest = getattr(value, "sha256", None)
    return {"upload": digest, "name": getattr(value, "filename", None)} if digest else str(value)


def fingerprint(query: str, operation_name: str | None, variables: Any) -> str:
    body = json.dumps([query, operation_name, variables], sort_keys=True, ensure_ascii=False, default=_plain)
    return hashlib.sha256(body.encode("utf-8", "surrogatepass")).hexdigest()


def _certain(result: ExecutionResult) -> bool:
    """True when every error is an expected answer (nothing failed half-way)."""
    return all(isinstance(e.original_error, AppError | ModuleError) or e.original_error is None
               for e in result.errors or [])


class IdempotentMutations:
    def __init__(self, repo: IdempotencyRepository, lease_seconds: float) -> None:
        self.repo = repo
        self.lease_seconds = lease_seconds

    async def run(self, key: str | None, user_id: str | None, request_data: Any,
                  execute: Callable[[], Awaitable[ExecutionResult]],
                  formatted: Callable[[GraphQLError], dict[str, Any]]) -> ExecutionResult:
        query = request_data.query
        if key is None or not isinstance(query, str) or not _is_mutation(query, request_data.operation_name):
            return await execute()
        if problem := key_problem(key):
            return ExecutionResult(data=None, errors=[BadUserInput({HEADER: problem})])
        if user_id is None:
            return await execute()  # anonymous mutations (logins) create nothing to duplicate
        claim_id = hashlib.sha256(f"{user_id}\x00{key}".encode()).hexdigest()
        print_ = fingerprint(query, request_data.operation_name, request_data.variables)
        existing = await self.repo.claim(claim_id, print_, self.lease_seconds)
        if existing is not None:
            return self._answer_retry(existing, print_)
        token = stamps.begin(claim_id)  # inserts are stamped: a re-run finds, not repeats, them
        try:
            result = await execute()  # an exception leaves the claim to its lease (outcome unknown)
        finally:
            stamps.end(token)
        if not _certain(result):
            return result
        if result.data is None and result.errors:
            await self.repo.release(claim_id)  # refused before anything ran
            return result
        await self.repo.finish(claim_id, {"data": result.data,
                                          "errors": [formatted(e) for e in result.errors or []]})
        return result

    @staticmethod
    def _answer_retry(existing: dict[str, Any], print_: str) -> ExecutionResult:
        if existing.get("fingerprint") != print_:
            return ExecutionResult(data=None, errors=[Conflict(
                f"该幂等键已用于不同的请求 (this {HEADER} was used with a different request)", reason=KEY_REUSED)])
        if existing.get("state") != "done":
            return ExecutionResult(data=None, errors=[Conflict(
                "相同的请求仍在处理中，请稍后重试 (an earlier attempt with this key is still running: retry shortly)",
                reason="IDEMPOTENCY_IN_PROGRESS", retryable=True, retryAfter=1)])
        response = existing["response"]
        errors = [GraphQLError(e.get("message", ""), path=e.get("path"), extensions=e.get("extensions"))
                  for e in response.get("errors") or []]
        return ExecutionResult(data=response.get("data"), errors=errors or None,
                               extensions={"idempotentReplay": True})


__all__ = ["HEADER", "KEY_RULE", "IdempotentMutations"]
