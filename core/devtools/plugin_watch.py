"""What the sandbox watches: the plugin folder's files by mtime and size (polled: no extra
dependency, and it works on every file system, including mounted folders where inotify does
not), without tests, caches, build output or dot-files."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

POLL_SECONDS = 0.4
SETTLE_SECONDS = 0.3
IGNORED_SUFFIXES = (".pyc", ".pyo", ".swp", ".swx", ".tmp", "~")
IGNORED_DIRS = {"__pycache__", "build", "dist", "node_modules", "venv", "tests"}


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """mtime and size of the plugin's files (not tests, caches, build output or dot-files)."""
    found: dict[str, tuple[int, int]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        top = Path(dirpath) == root
        dirnames[:] = [d for d in dirnames if not d.startswith(".") and not d.endswith(".egg-info")
                       and d not in IGNORED_DIRS - ({"tests"} if not top else set())]
        for name in filenames:
            if name.startswith((".", "#")) or name.endswith(IGNORED_SUFFIXES):
                continue
            path = Path(dirpath) / name
            with contextlib.suppress(OSError):
                st = path.stat()
                found[str(path.relative_to(root))] = (st.st_mtime_ns, st.st_size)
    return found


def changed_files(before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]]) -> list[str]:
    return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
