"""Helpers to run a throwaway SecantusDB process (tests, benchmarks, sandbox)."""

from __future__ import annotations

import socket
import tempfile
from pathlib import Path

from community_plus.platform.embedded import EmbeddedDatabase


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_test_database(storage: str | Path | None = None, durable: bool = False) -> EmbeddedDatabase:
    """Start SecantusDB on a free port with throwaway storage; call `stop()` when done."""
    storage = Path(storage or tempfile.mkdtemp(prefix="cp-testdb-"))
    db = EmbeddedDatabase(storage, port=free_port(), durable=durable)
    db.start()
    return db
