"""Reading the event log: ONE task per worker, feeding the hub.

`ChangeStreamFeed` watches the `events` collection (commit order, every worker sees the
same positions; it reopens with its resume token after an error). `PollingFeed` is the
fallback for servers without change streams: it reads the `_id` index every
`CP_REALTIME_POLL_INTERVAL` seconds. ObjectIds are not commit-ordered across processes (a
transaction may commit after a later id was written), so each poll looks back
`CP_REALTIME_POLL_LOOKBACK` seconds and skips ids it has delivered: an event whose commit
took longer than that after its id was made would be missed (our transactions take
milliseconds).

Both loops check a stop flag between short reads (a change stream is never cancelled in
the middle of a `getMore`, which could hang a shutdown) and back off while the database
is unreachable.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import structlog
from bson import ObjectId, Timestamp
from pymongo.errors import NetworkTimeout, OperationFailure, PyMongoError

from community_plus.platform.errors import BadUserInput
from community_plus.realtime.cursor import Position
from community_plus.platform.event_log import EventLog

log = structlog.get_logger("community_plus.realtime")
Deliver = Callable[[Position, dict[str, Any]], None]
CAUGHT_UP_TIMEOUT = 10.0
MARKER = "_marker"  # a replay's "now" (see ChangeStreamFeed.replay)


def cursor_expired(limit: int | None = None) -> BadUserInput:
    why = f"错过的事件超过 {limit} 条 (more than {limit} events were missed)" if limit else \
        "游标已过期 (the cursor is older than the event log keeps)"
    err = BadUserInput({"after": f"{why}：请重新查询后不带 after 订阅 (refetch, then subscribe without `after`)"})
    err.extensions["reason"] = "CURSOR_EXPIRED"
    return err


class Feed(Protocol):
    mode: str
    ordered: bool  # positions arrive in increasing order

    async def start(self) -> None: ...

    async def run(self, deliver: Deliver) -> None: ...

    def stop(self) -> None: ...

    def replay(self, after: Position, topics: list[str], limit: int) \
        -> AsyncIterator[tuple[Position, dict[str, Any]]]: ...


class _Dead(Exception):
    """The change stream was invalidated; it must be reopened."""


class ChangeStreamFeed:
    mode = "change_stream"
    ordered = True

    def __init__(self, events: EventLog, max_await_ms: int = 250) -> None:
        self.events = events
        self.max_await_ms = max_await_ms
        self._token: Any = None
        self._stream: Any = None
        self._stopping = False
        self.on_gap: Callable[[], None] | None = None  # events may have been missed: clients must resume

    async def start(self) -> None:
        """Open the stream now (raises OperationFailure where change streams are unsupported),
        so that every event committed after start-up is delivered."""
        self._stream = await self.events.inserts(self.max_await_ms)
        self._token = self._stream.resume_token

    def stop(self) -> None:
        self._stopping = True

    async def run(self, deliver: Deliver) -> None:
        backoff = 0.2
        while not self._stopping:
            try:
                if self._stream is None:
                    self._stream = await self.events.inserts(self.max_await_ms, resume_after=self._token)
                while not self._stopping:
                    change = await self._stream.try_next()
                    if change is not None:
                        self._token = change["_id"]
                        _deliver_safely(deliver, _position(change), change["fullDocument"])
                        backoff = 0.2
                    elif not self._stream.alive:  # invalidated (e.g. the collection was dropped):
                        # try_next would now return at once, forever, without yielding the loop
                        raise _Dead
                    await asyncio.sleep(0)  # never starve the event loop
            except _Dead:
                log.warning("event change stream invalidated; reopening", retry_in=backoff)
                await self._close()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            except PyMongoError as exc:
                log.warning("event change stream failed; reopening", error=str(exc), retry_in=backoff)
                if isinstance(exc, OperationFailure) and exc.code in (280, 286):  # the oplog moved past us
                    log.error("event change stream lost its place: starting from now; sockets must resume")
                    self._token = None
                    if self.on_gap is not None:
                        self.on_gap()
                await self._close()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
        await self._close()

    async def _close(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                await asyncio.wait_for(stream.close(), 2.0)
            except (PyMongoError, TimeoutError, asyncio.TimeoutError):
                pass

    async def replay(self, after: Position, topics: list[str], limit: int) \
            -> AsyncIterator[tuple[Position, dict[str, Any]]]:
        """Events of `topics` after `after`, in commit order, up to now.

        The caller registered its live subscription first; "now" is a marker event appended
        here, after that registration: whatever committed before the marker is replayed,
        whatever commits after it reaches the live subscription (overlaps are dropped by
        position)."""
        if after.id.generation_time < _oldest_kept(self.events):
            raise cursor_expired()
        [marker] = await self.events.append([{"topic": MARKER, "createdAt": _now()}])
        start = after.timestamp or Timestamp(int(after.id.generation_time.timestamp()) - 1, 0)
        try:
            stream = await self.events.inserts_since(start, topics, marker, max_await_ms=50)
        except OperationFailure as exc:
            raise _history_error(exc) from exc
        deadline = asyncio.get_running_loop().time() + CAUGHT_UP_TIMEOUT
        count = 0
        try:
            while asyncio.get_running_loop().time() < deadline:
                change = await stream.try_next()
                if change is None:
                    if not stream.alive:
                        raise cursor_expired()
                    await asyncio.sleep(0)
                    continue
                if change["fullDocument"]["_id"] == marker:
                    return
                pos = _position(change)
                if pos > after:
                    count += 1
                    if count > limit:
                        raise cursor_expired(limit)
                    yield pos, change["fullDocument"]
            raise NetworkTimeout("replay did not reach its marker in time")  # answered SERVICE_UNAVAILABLE
        except OperationFailure as exc:
            raise _history_error(exc) from exc
        finally:
            try:
                await asyncio.wait_for(stream.close(), 2.0)
            except (PyMongoError, TimeoutError, asyncio.TimeoutError):
                pass


def _history_error(exc: OperationFailure) -> Exception:
    if exc.code in (280, 286):  # ChangeStreamFatalError / ChangeStreamHistoryLost: the oplog moved on
        return cursor_expired()
    return exc


def _now() -> datetime:
    return datetime.now(UTC)


def _oldest_kept(events: EventLog) -> datetime:
    return _now() - timedelta(hours=events.retention_hours)


def _deliver_safely(deliver: Deliver, position: Position, doc: dict[str, Any]) -> None:
    """One bad event (or a bug fanning it out) must never stop the worker's feed."""
    try:
        deliver(position, doc)
    except Exception:
        log.exception("could not deliver an event", event_id=str(doc.get("_id")), topic=doc.get("topic"))


def _position(change: dict[str, Any]) -> Position:
    ts: Timestamp = change["clusterTime"]
    return Position(ts.time, ts.inc, change["fullDocument"]["_id"])


class PollingFeed:
    mode = "poll"
    ordered = False

    def __init__(self, events: EventLog, interval: float = 0.2, lookback: float = 5.0, batch: int = 1000) -> None:
        self.events = events
        self.interval = interval
        self.lookback = timedelta(seconds=lookback)
        self.batch = batch
        self._seen: OrderedDict[ObjectId, None] = OrderedDict()  # delivered ids, oldest first
        self._newest: ObjectId | None = None
        self._stopping = False
        self._wake = asyncio.Event()

    async def start(self) -> None:
        """Start at the newest event: what is already in the log counts as delivered."""
        self._newest = await self.events.newest_id()
        if self._newest is not None:
            for oid in await self.events.ids_after(self._low(), self.batch * 10):
                self._seen[oid] = None

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    def _low(self) -> ObjectId:
        if self._newest is None:
            return ObjectId("0" * 24)
        return ObjectId.from_datetime(self._newest.generation_time - self.lookback)

    async def poll(self, deliver: Deliver) -> int:
        """One read of the log; returns how many new events were delivered."""
        delivered = 0
        while True:
            ids = [i for i in await self.events.ids_after(self._low(), self.batch) if i not in self._seen]
            if not ids:
                return delivered
            for doc in await self.events.by_ids(ids):
                self._seen[doc["_id"]] = None
                if self._newest is None or doc["_id"] > self._newest:
                    self._newest = doc["_id"]
                _deliver_safely(deliver, Position(0, 0, doc["_id"]), doc)
                delivered += 1
            self._forget_old()

    def _forget_old(self) -> None:
        low = self._low()
        while self._seen:
            oldest = next(iter(self._seen))
            if oldest >= low:
                break
            self._seen.popitem(last=False)

    async def run(self, deliver: Deliver) -> None:
        backoff = self.interval
        while not self._stopping:
            try:
                await self.poll(deliver)
                backoff = self.interval
            except PyMongoError as exc:
                log.warning("event poll failed; retrying", error=str(exc))
                backoff = min(backoff * 2, 5.0)
            try:
                await asyncio.wait_for(self._wake.wait(), backoff)
            except (TimeoutError, asyncio.TimeoutError):
                pass

    async def replay(self, after: Position, topics: list[str], limit: int) \
            -> AsyncIterator[tuple[Position, dict[str, Any]]]:
        """Events of `topics` with ids after `after`'s, as the log holds them now."""
        if after.id.generation_time < _oldest_kept(self.events):
            raise cursor_expired()
        docs = await self.events.after(after.id, topics, limit=limit + 1)
        if len(docs) > limit:
            raise cursor_expired(limit)
        for doc in docs:
            yield Position(0, 0, doc["_id"]), doc


async def open_feed(mode: str, events: EventLog, *, poll_interval: float, lookback: float) -> Feed:
    """The feed for `CP_REALTIME_FEED` (`auto`: a change stream when the server offers one)."""
    if mode in ("auto", "change_stream"):
        feed = ChangeStreamFeed(events)
        try:
            await feed.start()
            return feed
        except OperationFailure as exc:
            if mode == "change_stream":
                raise
            log.info("change streams unavailable; polling the event log", reason=str(exc))
    polling = PollingFeed(events, interval=poll_interval, lookback=lookback)
    await polling.start()
    return polling
