"""Prometheus metrics, one registry per app (no module-level singletons).

Label values are bounded: the `operation` label is an operation name only when it is a
registered persisted operation (or listed in `CP_METRICS_OPERATIONS`); any other name counts as
`other`, no name as `anonymous` (client-chosen names never create series). Under
`serve --workers N` the supervisor sets `PROMETHEUS_MULTIPROC_DIR` (emptied on start) and every
worker's `/metrics` answers the sum over all workers (prometheus-client's multiprocess mode), so
counters do not jump back from one scrape to the next.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.exposition import CONTENT_TYPE_LATEST

_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
ANONYMOUS, OTHER = "anonymous", "other"
MAX_CHILDREN = 4096


class Metrics:
    def __init__(self, known_operations: Iterable[str] = ()) -> None:
        self.registry = CollectorRegistry()
        self.http_requests = Counter("cp_http_requests_total", "HTTP requests", ["method", "route", "status"],
                                     registry=self.registry)
        self.http_latency = Histogram("cp_http_request_seconds", "HTTP request latency", ["route"],
                                      buckets=_BUCKETS, registry=self.registry)
        self.operations = Counter("cp_graphql_operations_total", "GraphQL operations by name and outcome",
                                  ["operation", "status"], registry=self.registry)
        self.operation_latency = Histogram("cp_graphql_operation_seconds", "GraphQL operation latency",
                                           ["operation"], buckets=_BUCKETS, registry=self.registry)
        self.known_operations: set[str] = set(known_operations)  # filled from registered persisted queries
        # label values → their samples: `labels()` takes a lock and builds its key on every call
        self._children: dict[tuple, tuple] = {}

    def operation_label(self, name: object) -> str:
        """The label of an operation name: a known name, else `other` (`anonymous` without one)."""
        if not isinstance(name, str) or not name:
            return ANONYMOUS
        return name if name in self.known_operations else OTHER

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        """One HTTP request: its count by method, route and status, and its latency by route."""
        key = ("http", method, route, status)
        found = self._children.get(key)
        if found is None:
            found = self._remember(key, self.http_requests.labels(method, route, str(status)),
                                   self.http_latency.labels(route))
        found[0].inc()
        found[1].observe(seconds)

    def observe_operation(self, name: object, status: str, seconds: float) -> None:
        label = self.operation_label(name)
        key = ("graphql", label, status)
        found = self._children.get(key)
        if found is None:
            found = self._remember(key, self.operations.labels(label, status), self.operation_latency.labels(label))
        found[0].inc()
        found[1].observe(seconds)

    def _remember(self, key: tuple, *children: object) -> tuple:
        if len(self._children) >= MAX_CHILDREN:  # methods are client-chosen: stay bounded
            self._children.clear()
        self._children[key] = children
        return children

    def render(self) -> tuple[bytes, str]:
        if os.environ.get(MULTIPROC_ENV):  # every worker's samples, summed
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            return generate_latest(registry), CONTENT_TYPE_LATEST
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


def prepare_multiprocess_dir(configured: str | None) -> tuple[Path, bool]:
    """The directory the workers share their samples in, emptied; and whether we created it
    (then the supervisor removes it on exit). An operator's `PROMETHEUS_MULTIPROC_DIR` is kept."""
    if configured:
        path = Path(configured)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):  # samples of a previous run: counters start from zero
            stale.unlink()
        return path, False
    return Path(tempfile.mkdtemp(prefix="cp-metrics-")), True


def worker_gone(path: Path, pid: int) -> None:
    """A worker exited: its live gauges stop counting (its counters still sum into /metrics)."""
    multiprocess.mark_process_dead(pid, str(path))


def remove_multiprocess_dir(path: Path) -> None:
    """The server stopped: the directory `prepare_multiprocess_dir` created goes with it."""
    shutil.rmtree(path, ignore_errors=True)
