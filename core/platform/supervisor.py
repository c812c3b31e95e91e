"""The process supervisor of `serve --workers N`: starts the workers, forwards SIGTERM/SIGINT,
and replaces a worker that dies while the server runs (a crash, an out-of-memory kill, a
start-up that failed on a database hiccup), so the server never goes on silently with fewer
workers. Workers that keep dying (more than `2 × N` deaths in a minute, e.g. a broken
configuration) stop the server with an error instead of restarting forever. A worker that has
not stopped `STOP_GRACE` seconds after SIGTERM is killed."""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import time
from collections.abc import Callable

CRASH_WINDOW = 60.0  # seconds
STOP_GRACE = 50  # seconds a worker gets to stop (its own shutdown watchdog fires at 45) before SIGKILL


class Supervisor:
    def __init__(self, cmd: list[str], env: dict[str, str], workers: int, say: Callable[[str], None],
                 on_exit: Callable[[int], None] = lambda pid: None, stop_grace: int = STOP_GRACE) -> None:
        self.cmd, self.env, self.workers, self.say, self.on_exit = cmd, env, workers, say, on_exit
        self.stop_grace = stop_grace
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
            try:
                pid, status = os.wait()  # interrupted by a signal, it resumes after the handler (PEP 475)
            except ChildProcessError:  # none left (reaped elsewhere): nothing more to wait for
                break
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
        if not self.stopping:
            signal.signal(signal.SIGALRM, self._kill)
            signal.alarm(self.stop_grace)
        self.stopping = True
        self._signal(signal.SIGTERM)

    def _kill(self, signum: int, frame: object) -> None:  # noqa: ARG002
        self.say(f"worker(s) {', '.join(map(str, self.procs))} did not stop within {self.stop_grace}s: killing them")
        self._signal(signal.SIGKILL)

    def _signal(self, signum: int) -> None:
        for pid in list(self.procs):  # os.kill, not Popen.send_signal: that one reaps an exited worker
            try:  # behind os.wait's back, which would then wait for it forever
                os.kill(pid, signum)
            except ProcessLookupError:
                pass  # exited: os.wait reports it
