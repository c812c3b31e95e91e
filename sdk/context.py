"""The typed context a module's code receives: who is calling, in which community, the
module's settings, and access to the module's own collections only (scoped to the community).

Example (a custom resolver)::

    @strawberry.field
    async def pinned_notices(self, info) -> list[Notice]:
        ctx = module.context(info)
        rows = await ctx.collection("notices").find({"pinned": True}, limit=5)
        return [Notice.from_row(r) for r in rows]
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from .clock import clock
from .directory import CommunityDirectory
from .events import ModuleEvent

T = TypeVar("T")


@dataclass(frozen=True)
class Caller:
    """The principal behind a request, as a module sees it."""

    user_id: str
    role: str
    name: str
    community_id: str | None
    resident_id: str | None
    grid_ids: tuple[str, ...]


class ScopedCollection(ABC):
    """One of the module's collections, every operation narrowed to the current community."""

    @abstractmethod
    async def find(self, filter: dict[str, Any] | None = None, *, sort: list[tuple[str, int]] | None = None,
                   limit: int = 100) -> list[dict[str, Any]]: ...

    @abstractmethod
    async def find_one(self, filter: dict[str, Any]) -> dict[str, Any] | None: ...

    @abstractmethod
    async def count(self, filter: dict[str, Any] | None = None) -> int: ...

    @abstractmethod
    async def insert(self, row: dict[str, Any]) -> dict[str, Any]: ...

    @abstractmethod
    async def update(self, filter: dict[str, Any], changes: dict[str, Any], *,
                     expect: dict[str, Any] | None = None, inc: dict[str, Any] | None = None) -> dict[str, Any] | None:
        """Atomically update one row matching `filter` (and `expect`, a compare-and-set
        condition); returns the row after the change, or None when nothing matched."""

    @abstractmethod
    async def delete(self, filter: dict[str, Any]) -> bool: ...

    @abstractmethod
    async def aggregate(self, pipeline: list[dict[str, Any]]) -> list[dict[str, Any]]: ...


class ModuleContext(CommunityDirectory, ABC):
    """Given to resolvers and hooks; implemented by the Community+ server. Residents' counts
    and staff invitations (`ctx.residents`, `ctx.invite_staff`) come from `CommunityDirectory`
    (`community_plus_sdk.directory`)."""

    module: str
    caller: Caller | None
    community_id: str | None
    request_id: str | None

    def now(self) -> datetime:
        """Server time (aware UTC) from the one clock (`community_plus_sdk.clock.clock`),
        which tests move instead of sleeping."""
        return clock.now()

    @abstractmethod
    def collection(self, name: str) -> ScopedCollection:
        """One of this module's collections (declared by a model or `register_collections`)."""

    async def is_enabled(self, community_id: str | None = None) -> bool:
        """Whether this module is switched on in a community (default: the current one);
        use it in `run_periodic` to skip communities that switched the module off."""
        return True

    @abstractmethod
    def for_community(self, community_id: str) -> ModuleContext:
        """A system context acting in one community (for `run_periodic` and migrations)."""

    @abstractmethod
    def unscoped_collection(self, name: str) -> Any:
        """Every community's rows of one of this module's collections, for system tasks such
        as `migrate` only (refused inside requests). Methods: `find`, `count`, `insert`,
        `update_many`, and `seal_existing()` (encrypt numbers stored in plaintext before a
        field became sealed)."""

    @abstractmethod
    async def settings(self) -> Any:
        """This community's effective module settings (defaults merged with region overrides):
        an instance of the module's typed settings class (`Module(settings=...)`), or a dict
        of camelCase keys for a module that declares only a `settings_schema`."""

    @abstractmethod
    def require_caller(self) -> Caller:
        """The caller, or an UNAUTHENTICATED error."""

    @abstractmethod
    def has_permission(self, permission: str) -> bool: ...

    @abstractmethod
    def require_permission(self, permission: str) -> None:
        """Raise FORBIDDEN unless the caller holds `permission` (declared by this module)."""

    @abstractmethod
    async def resident(self, resident_id: str) -> dict[str, Any] | None:
        """A resident of the current community the caller may see (masked fields only)."""

    @abstractmethod
    async def audit(self, action: str, entity: str, row: dict[str, Any], fields: list[str] | None = None) -> None: ...

    @abstractmethod
    async def transaction(self, fn: Callable[[ModuleContext], Awaitable[T]]) -> T:
        """Run `await fn(tx)` atomically and return its result; `tx.collection(name)` works
        like `collection`, and `tx.notify`/`tx.publish` commit with the change.

        PyMongo's `with_transaction` semantics, in bounded time (15 s): a write conflict with
        a concurrent request (in `fn` or at commit) runs `fn` again with back-off, a commit
        whose outcome is unknown is committed again, and `fn` may raise `RetryTransaction`
        when a compare-and-set lost a race. `fn` must therefore be safe to run more than once
        (no side effects outside `tx`). Past the time limit: CONFLICT with `reason: BUSY`,
        retryable (the client retries with its idempotency key). A lost database
        connection is not retried (SERVICE_UNAVAILABLE)."""

    @abstractmethod
    async def attach_files(self, file_ids: list[str], entity: str, entity_id: str,
                           paths: list[str] | None = None) -> None:
        """Mark uploaded files as used by one of your rows (else the orphan sweep removes
        them); a file given twice is attached once. BAD_USER_INPUT names each file that cannot
        be used by `paths[i]`, the input path `file_ids[i]` came from (e.g.
        `input.photoIds.0`; default `fileIds.<i>`). Models' `Image` fields do this for you."""

    @abstractmethod
    async def release_files(self, entity: str, entity_id: str) -> None:
        """Your row no longer uses its files (e.g. it was deleted)."""

    @abstractmethod
    async def notify(self, user_ids: list[str], title: str, state: str, page: str | None = None) -> None:
        """Send each user (once, however often listed) a WeChat subscription message of the
        `module_notice` template, through the outbox the core's own notices use: delivered by
        the server's worker after the change commits, retried on WeChat's transient errors;
        inside `transaction` it commits with it. The message also reaches the user's in-app
        inbox (`notifications`).

        WeChat's keyword rules (`community_plus_sdk.notify`), applied at the call:
        `title` → `thing1`, cut to 20 characters (the 20th becomes `…`); `state` → `phrase2`,
        1–5 Chinese characters such as `已完成` (anything else raises ValueError: a phrase
        cannot be cut); `time3` shows `ctx.now()` as `YYYY-MM-DD HH:MM` in China time
        (Asia/Shanghai). An empty title raises ValueError. `page` is an absolute mini-program
        page (`/pages/<module>/...`, ValueError otherwise).

        Delivery spends one one-time grant of the user (`wx.requestSubscribeMessage` in the
        mini-program, with the id `subscriptionTemplates` lists for `module_notice`); without
        one the outbox records `no_grant` and does not retry, and a user without a WeChat
        identity is recorded as `no_recipient`. Tests see what was sent with the harness's
        `wechat_sent` fixture.

        Example::

            await tx.notify([worker_user_id], f"新护理订单：{item_name}", "待派单", "/pages/elder_care/dispatch")
        """

    async def reveal(self, collection: str, row_id: str, field: str, entity: str | None = None) -> str | None:
        """The full value of a sealed field (`fields.SealedPhone`, `CollectionSpec.sealed`) of one
        row of the current community, recorded in the audit log as a `reveal` of `entity`
        (default: the collection). Check the caller's permission first: reads are masked
        for a reason."""
        raise NotImplementedError

    async def wards(self) -> list[dict[str, Any]]:
        """Residents the calling resident is guardian of (family members they act for)."""
        return []

    async def publish(self, topic: str, data: dict[str, Any], *, user_ids: list[str] | None = None,
                      permission: str | None = None) -> None:
        """Publish a realtime event of one of your topics (`register_topics`) in the current
        community: to everyone there who subscribes, or only `user_ids`, or only callers
        holding `permission` (a role or one of your permissions). Inside `transaction` it
        commits with the change; `data` must be JSON-like (it is stored in the event log)."""
        raise NotImplementedError("publish is provided by the Community+ server")

    def subscribe(self, topic: str, *, after: str | None = None) -> AsyncIterator[ModuleEvent]:
        """The events of one of your topics the caller may receive, live (replaying those
        after the cursor `after` first), for your subscription resolvers. It ends when
        the module is switched off in the community (the client gets MODULE_DISABLED)."""
        raise NotImplementedError("subscribe is provided by the Community+ server")

    async def grids(self) -> list[dict[str, Any]]:
        """The grids of the current community (`_id`, `name`), in id order: to show a grid's
        name next to a resident's `gridId` or to group figures per grid."""
        raise NotImplementedError("grids is provided by the Community+ server")

    @abstractmethod
    async def grid_workers(self, grid_id: str) -> list[dict[str, Any]]:
        """The grid workers (`_id`, `name`, `phone`) of a grid of the current community."""

    @abstractmethod
    async def check_content(self, text: str, scene: int = 2) -> str:
        """WeChat content check of user text shown to others: 'pass', 'review' or 'risky'."""
