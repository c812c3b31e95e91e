"""Prometheus metrics, one registry per app (no module-level singletons)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
MAX_OPERATION_NAMES = 500  # operation names come from clients: past this many, new ones count as "other"


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.http_requests = Counter("cp_http_requests_total", "HTTP requests", ["method", "route", "status"],
                                     registry=self.registry)
        self.http_latency = Histogram("cp_http_request_seconds", "HTTP request latency", ["route"],
                                      buckets=_BUCKETS, registry=self.registry)
        self.operations = Counter("cp_graphql_operations_total", "GraphQL operations by name and outcome",
                                  ["operation", "status"], registry=self.registry)
        self.operation_latency = Histogram("cp_graphql_operation_seconds", "GraphQL operation latency",
                                           ["operation"], buckets=_BUCKETS, registry=self.registry)
        self._operation_names: set[str] = set()

    def observe_operation(self, name: str, status: str, seconds: float) -> None:
        """Count one operation; label cardinality is bounded (names are client-chosen)."""
        name = name[:64]
        if name not in self._operation_names:
            if len(self._operation_names) >= MAX_OPERATION_NAMES:
                name = "other"
            else:
                self._operation_names.add(name)
        self.operations.labels(name, status).inc()
        self.operation_latency.labels(name).observe(seconds)

    def render(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
