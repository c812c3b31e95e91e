"""Prometheus metrics of the realtime part, registered in the app's registry."""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from community_plus.realtime.events import Event

_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)


class RealtimeMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        registry = registry or CollectorRegistry()
        self.sockets = Gauge("cp_realtime_sockets", "Open subscription sockets (all workers)", registry=registry,
                             multiprocess_mode="livesum")
        self.subscriptions = Gauge("cp_realtime_subscriptions", "Active subscriptions (all workers)",
                                   registry=registry, multiprocess_mode="livesum")
        self.events = Counter("cp_realtime_events_total", "Events read from the log", ["topic"], registry=registry)
        self.dropped = Counter("cp_realtime_slow_consumers_total", "Subscriptions dropped for not keeping up",
                               registry=registry)
        self.refused = Counter("cp_realtime_refused_total", "Sockets refused or closed, by close code", ["code"],
                               registry=registry)
        self.latency = Histogram("cp_realtime_delivery_seconds", "From the event's write to its delivery",
                                 buckets=_BUCKETS, registry=registry)

    def observe_delivery(self, event: Event) -> None:
        self.latency.observe(max(0.0, time.time() - event.created_at.timestamp()))
