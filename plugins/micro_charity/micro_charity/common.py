"""Small helpers shared by the module's features: input checks with field paths, caller
checks, keyset paging, times and idempotency keys."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import random
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import strawberry

from community_plus_sdk import Caller, ConflictError, ForbiddenError, ModuleContext, UserInputError, fields
from community_plus_sdk.fields import Invalid

from .manifest import module

T = TypeVar("T")
CHINA = ZoneInfo("Asia/Shanghai")
MAX_PAGE = 50
_KEY = re.compile(r"^[A-Za-z0-9_:.\-]{8,64}$")


def context(info: strawberry.Info) -> ModuleContext:
    """The module context of a resolver."""
    return module.context(info)


_PROCESS = secrets.token_hex(5)
_COUNTER = itertools.count(secrets.randbelow(0x7FFFFF))


def new_id() -> str:
    """A fresh row id shaped like an ObjectId (seconds, process, counter): ids sort by creation."""
    return f"{int(time.time()):08x}{_PROCESS}{next(_COUNTER) & 0xFFFFFF:06x}"


def now() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime | None) -> datetime | None:
    """Aware UTC time; a naive time from a client is read as China time."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=CHINA)
    return value.astimezone(UTC)


class Check:
    """Collects input problems by field path, then raises one UserInputError naming them all."""

    def __init__(self, prefix: str = "input") -> None:
        self.prefix = prefix
        self.problems: dict[str, str] = {}

    def path(self, name: str) -> str:
        return f"{self.prefix}.{name}" if self.prefix else name

    def value(self, name: str, field: fields.Field, value: Any, *, required: bool = False) -> Any:
        """`value` cleaned by an SDK field (None when missing or invalid)."""
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.problems[self.path(name)] = "必填 (required)"
            return None
        try:
            return field.clean(value)
        except Invalid as exc:
            self.problems[self.path(name)] = str(exc)
            return None

    def add(self, name: str, message: str) -> None:
        self.problems.setdefault(self.path(name), message)

    def done(self) -> None:
        if self.problems:
            raise UserInputError(self.problems)


def require_resident(ctx: ModuleContext) -> Caller:
    """The caller, who must be a resident bound to a resident record."""
    caller = ctx.require_caller()
    if caller.role != "resident":
        raise ForbiddenError("仅居民本人可以操作 (only residents can do this)")
    if not caller.resident_id:
        raise ForbiddenError("请先绑定居民身份 (bind your resident record first)")
    return caller


_ROW_ID = re.compile(r"^[A-Za-z0-9:_.\-]{1,200}$")  # row ids: ObjectId-shaped, or demo rows' readable ids


def page_args(first: int, after: str | None, path: str = "first") -> tuple[int, dict[str, Any]]:
    """Validated page size and the keyset condition for `after` (ids sort by creation; a
    cursor that is not a row id is refused, never read as the start of the list)."""
    if first < 0 or first > MAX_PAGE:
        raise UserInputError({path: f"应在0到{MAX_PAGE}之间 (must be between 0 and {MAX_PAGE})"})
    if after is not None and not _ROW_ID.match(after):
        raise UserInputError({"after": "无效的分页游标 (invalid cursor: pass a nextCursor you received)"})
    return first, ({"_id": {"$lt": after}} if after else {})


def and_(*parts: dict[str, Any]) -> dict[str, Any]:
    parts = tuple(p for p in parts if p)
    if not parts:
        return {}
    return parts[0] if len(parts) == 1 else {"$and": list(parts)}


async def fetch_page(coll: Any, query: dict[str, Any], first: int, after: str | None) -> tuple[list[dict], int, str | None]:
    """Rows newest first, the total count and the cursor of the next page (None at the end)."""
    first, cursor = page_args(first, after)
    rows = await coll.find(and_(query, cursor), sort=[("_id", -1)], limit=first + 1) if first else []
    total = await coll.count(query)
    more = len(rows) > first
    rows = rows[:first]
    return rows, total, (rows[-1]["_id"] if more and rows else None)


# -- transactions and idempotency ---------------------------------------------------------------

TX_ATTEMPTS = 8


def _transient(exc: Exception) -> bool:
    has_label = getattr(exc, "has_error_label", None)  # a PyMongoError, without importing the driver
    return callable(has_label) and has_label("TransientTransactionError")


async def transaction(ctx: ModuleContext, fn: Callable[[ModuleContext], Awaitable[T]]) -> T:
    """`ctx.transaction(fn)`, retried with back-off while concurrent writers keep conflicting
    (the server gives up after a few attempts; contention on one row can outlast that)."""
    for attempt in range(TX_ATTEMPTS):
        try:
            return await ctx.transaction(fn)
        except Exception as exc:
            if not _transient(exc) or attempt == TX_ATTEMPTS - 1:
                raise
            await asyncio.sleep(random.uniform(0, 0.02 * 2 ** min(attempt, 5)))
    raise AssertionError("unreachable")


class Replay(Exception):
    """The idempotency key was used before: `row` is its stored record."""

    def __init__(self, row: dict[str, Any]) -> None:
        super().__init__("replay")
        self.row = row


def check_key(check: Check, key: str | None, name: str = "idempotencyKey") -> str | None:
    if key is None:
        return None
    if not _KEY.match(key):
        check.add(name, "应为8到64位字母、数字或 _-:. (8–64 letters, digits or _-:.)")
    return key


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
