"""The process supervisor of `serve --workers N`: starts the workers, forwards SIGTERM/SIGINT,
and replaces a worker that dies while the server runs (a crash, an out-of-memory kill, a
start-up that failed on a database hiccup), so the server never goes on silently with fewer
workers. Workers that keep dying (more than `2 × N` deaths in a minute, e.g. a broken
configuration) stop the server with an error instead of restarting forever."""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import time
from collections.abc import Callable

CRASH_WINDOW = 60.0  # seconds


class Supervisor:
    def __init__(self, cmd: list[str], env: dict[str, str], workers: int, say: Callable[[str], None],
                 on_exit: Callable[[int], None] = lambda pid: None) -> None:
        self.cmd, self.env, self.workers, self.say, self.on_exit = cmd, env, workers, say, on_exit
        self.procs: dict[int, subprocess.Popen] = {}
        self.stopping = False
        self.deaths: collections.deque[float] = collections.deque()

    def run(self) -> int:
        """Run until every worker has exited; 0 after a requested stop, 1 when workers kept dying."""
        for _ in range(self.workers):
            self._start()
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        failed = False
        while self.procs:
            pid, status = os.wait()  # interrupted by a signal, it resumes after the handler (PEP 475)
            proc = self.procs.pop(pid, None)
            if proc is None:
                continue
            proc.returncode = os.waitstatus_to_exitcode(status)
            self.on_exit(pid)
            if self.stopping:
                continue
            now = time.monotonic()
            self.deaths.append(now)
            while self.deaths and now - self.deaths[0] > CRASH_WINDOW:
                self.deaths.popleft()
            if len(self.deaths) > 2 * self.workers:
                self.say(f"workers keep exiting ({len(self.deaths)} in {CRASH_WINDOW:.0f}s, the last with code "
                         f"{proc.returncode}): stopping the server; the log above says why")
                failed = True
                self._stop()
                continue
            self.say(f"worker {pid} exited with code {proc.returncode}: starting a new one")
            self._start()
        return 1 if failed else 0

    def _start(self) -> None:
        proc = subprocess.Popen(self.cmd, env=self.env)
        self.procs[proc.pid] = proc

    def _stop(self, signum: int | None = None, frame: object = None) -> None:  # noqa: ARG002
        self.stopping = True
        for proc in self.procs.values():
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
