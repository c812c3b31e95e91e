"""Small helpers shared by the module's features: input checks with field paths, caller
checks, keyset paging, times and idempotency keys."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import strawberry

from community_plus_sdk import Caller, ConflictError, ForbiddenError, ModuleContext

from .manifest import module

T = TypeVar("T")


def context(info: strawberry.Info) -> ModuleContext:
    """The module context of a resolver."""
    return module.context(info)


def require_resident(ctx: ModuleContext) -> Caller:
    """The caller, who must be a resident bound to a resident record."""
    caller = ctx.require_caller()
    if caller.role != "resident":
        raise ForbiddenError("仅居民本人可以操作 (only residents can do this)")
    if not caller.resident_id:
        raise ForbiddenError("请先绑定居民身份 (bind your resident record first)")
    return caller


# -- transactions and idempotency ---------------------------------------------------------------

class Replay(Exception):
    """The idempotency key was used before: `row` is its stored record."""

    def __init__(self, row: dict[str, Any]) -> None:
        super().__init__("replay")
        self.row = row


def key_id(ctx: ModuleContext, operation: str, key: str) -> str:
    caller = ctx.require_caller()
    return f"{ctx.community_id}:{caller.user_id}:{operation}:{key}"


def fingerprint(payload: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


async def claim_key(tx: ModuleContext, operation: str, key: str | None, payload: dict[str, Any],
                    result_id: str) -> None:
    """Inside a transaction: record that `key` produced `result_id`; a second use aborts the
    transaction with `Replay` (the caller then returns the first result)."""
    if key is None:
        return
    kid = key_id(tx, operation, key)
    try:
        await tx.collection("idempotency_keys").insert(
            {"_id": kid, "operation": operation, "fingerprint": fingerprint(payload), "resultId": result_id})
    except ConflictError:
        raise Replay({"_id": kid}) from None


async def with_key(ctx: ModuleContext, operation: str, key: str | None, payload: dict[str, Any],
                   run: Callable[[], Awaitable[T]], replay: Callable[[str], Awaitable[T]]) -> T:
    """Run `run()` (a transaction that calls `claim_key`); when the key was used before,
    return `replay(result_id)` of the first request, or CONFLICT if its payload differed."""
    try:
        return await run()
    except Replay:
        pass
    row = await ctx.collection("idempotency_keys").find_one({"_id": key_id(ctx, operation, key or "")})
    if row is None:  # defensive: a duplicate key means the first request committed
        raise ConflictError("请求正在处理，请稍后重试 (the request is being processed: retry shortly)")
    if row["fingerprint"] != fingerprint(payload):
        raise ConflictError("幂等键已用于不同的请求 (this idempotency key was used for a different request)",
                            reason="IDEMPOTENCY_KEY_REUSED")
    return await replay(row["resultId"])


async def attach_photos(ctx: ModuleContext, file_ids: list[str], entity: str, entity_id: str, path: str) -> None:
    """Attach uploaded files to a row; refusals name `path.<i>`."""
    if file_ids:
        await ctx.attach_files(file_ids, entity, entity_id, [f"{path}.{i}" for i in range(len(file_ids))])


def mask_name(name: str | None) -> str:
    """张三丰 → 张**: how a helper is credited in public."""
    name = (name or "").strip()
    return (name[0] + "*" * max(1, len(name) - 1)) if name else "热心邻居"
