"""In-process fan-out: events from the worker's one feed to its subscriptions.

`deliver` runs synchronously for each event the feed reads: it looks the event's routing
keys up (so it touches only the candidate subscriptions), evaluates each one's filter and
appends to its bounded queue. It never awaits, so one slow client can never delay the
others: a subscription whose queue is full is ended and its socket dropped (close code
4013), and the client resumes with its last cursor after reconnecting.

A subscription that passes `after` is registered first, then replays what it missed from
the log; the live queue and the replay overlap, and positions (change streams) or ids
(polling) drop the duplicates, so nothing is lost and nothing is delivered twice.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Callable
from typing import Any

import structlog

from community_plus.realtime.cursor import Position, parse_cursor
from community_plus.realtime.events import Event, Route
from community_plus.realtime.feed import MARKER, Feed
from community_plus.realtime.metrics import RealtimeMetrics

log = structlog.get_logger("community_plus.realtime")
Match = Callable[[Event], bool]


class Subscription:
    """One subscriber: what it listens to, its filter and its bounded queue."""

    __slots__ = ("hub", "topic", "keys", "match", "owner", "module", "after", "_queue", "_waiter", "_ended",
                 "_error", "_last", "_replayed")

    def __init__(self, hub: Hub, topic: str, keys: list[Route], match: Match, owner: Any,
                 module: str | None, after: Position | None) -> None:
        self.hub = hub
        self.topic = topic
        self.keys = keys
        self.match = match
        self.owner = owner  # the socket's Connection (dropped when this queue overflows)
        self.module = module  # a module's subscription ends when the module is switched off
        self.after = after
        self._queue: deque[Event] = deque()
        self._waiter: asyncio.Future | None = None
        self._ended = False
        self._error: Exception | None = None
        self._last = after
        self._replayed: set | None = None

    def offer(self, event: Event) -> None:
        if self._ended:
            return
        try:
            if not self.match(event):
                return
        except Exception:
            log.exception("subscription filter failed", topic=self.topic)
            return
        if len(self._queue) >= self.hub.queue_size:
            self.hub.metrics.dropped.inc()
            self.end()
            if self.owner is not None:
                self.owner.drop_slow_consumer()
            return
        self._queue.append(event)
        self._wake()

    def end(self, error: Exception | None = None) -> None:
        """Stop delivering; the stream raises `error` (if any) once the queue is drained."""
        if not self._ended:
            self._ended = True
            self._error = error
            self._wake()

    def close(self) -> None:
        """End and unregister (idempotent); resolvers call it in `finally`."""
        self.end()
        self.hub.remove(self)

    @property
    def ended(self) -> bool:
        return self._ended

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def _fresh(self, event: Event) -> bool:
        """Drop what was delivered already (replay and live overlap) or precedes `after`."""
        if self.hub.feed.ordered:
            if self._last is not None and event.position <= self._last:
                return False
            self._last = event.position
            return True
        if self._replayed is not None and event.id in self._replayed:
            return False
        return self.after is None or event.id > self.after.id

    async def stream(self) -> AsyncIterator[Event]:
        """The events, replayed ones first; ends when the subscription ends."""
        try:
            if self.after is not None:
                replayed: set = set()
                async for position, doc in self.hub.feed.replay(self.after, [self.topic], self.hub.max_replay):
                    event = Event.of(position, doc)
                    replayed.add(event.id)
                    if self.match(event) and self._fresh(event):
                        yield event
                self._replayed = replayed
            while True:
                while not self._queue:
                    if self._ended:
                        if self._error is not None:
                            raise self._error
                        return
                    self._waiter = asyncio.get_running_loop().create_future()
                    await self._waiter
                    self._waiter = None
                event = self._queue.popleft()
                if self._fresh(event):
                    self.hub.metrics.observe_delivery(event)
                    yield event
        finally:
            self.end()
            self.hub.remove(self)


class Hub:
    """Routes every event of the feed to the subscriptions of its topic and keys."""

    def __init__(self, feed: Feed, metrics: RealtimeMetrics, *, queue_size: int = 100, max_replay: int = 1000,
                 on_event: Callable[[Event], None] | None = None) -> None:
        self.feed = feed
        self.metrics = metrics
        self.queue_size = queue_size
        self.max_replay = max_replay
        self.on_event = on_event  # called first for every event (module switches refresh caches)
        self._routes: dict[tuple[str, Route], set[Subscription]] = defaultdict(set)
        self._count = 0

    def deliver(self, position: Position, doc: dict[str, Any]) -> None:
        if doc.get("topic") == MARKER:
            return
        event = Event.of(position, doc)
        self.metrics.events.labels("module" if ":" in event.topic else event.topic).inc()
        if self.on_event is not None:
            try:
                self.on_event(event)
            except Exception:
                log.exception("realtime event hook failed", topic=event.topic)
        targets: set[Subscription] = set()
        for key in event.routes():
            found = self._routes.get((event.topic, key))
            if found:
                targets |= found
        for subscription in targets:
            subscription.offer(event)

    def subscribe(self, topic: str, keys: list[Route], match: Match, *, after: str | None = None,
                  owner: Any = None, module: str | None = None) -> Subscription:
        """Register a subscription (live from now; `after` a cursor to replay from)."""
        position = parse_cursor(after) if after else None
        subscription = Subscription(self, topic, keys, match, owner, module, position)
        for key in keys:
            self._routes[(topic, key)].add(subscription)
        self._count += 1
        self.metrics.subscriptions.set(self._count)
        if owner is not None:
            owner.subscriptions.add(subscription)
        return subscription

    def remove(self, subscription: Subscription) -> None:
        removed = False
        for key in subscription.keys:
            found = self._routes.get((subscription.topic, key))
            if found is not None and subscription in found:
                found.discard(subscription)
                removed = True
                if not found:
                    del self._routes[(subscription.topic, key)]
        if removed:
            self._count -= 1
            self.metrics.subscriptions.set(self._count)
        if subscription.owner is not None:
            subscription.owner.subscriptions.discard(subscription)

    def __len__(self) -> int:
        return self._count
