"""The supervisor of `serve --workers N`, with stand-in workers (no server, no database): it
replaces a worker that dies, gives up on workers that keep dying, and kills a worker that
ignores SIGTERM once its grace ends."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

SUPERVISE = """
import os, sys
from community_plus.platform.supervisor import Supervisor
worker = [sys.executable, "-c", sys.argv[1]]
code = Supervisor(worker, dict(os.environ), 2, say=lambda text: print(text, flush=True), stop_grace=1).run()
print("exit", code, flush=True)
sys.exit(code)
"""


def _supervise(worker_code: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", SUPERVISE, worker_code], stdout=subprocess.PIPE, text=True)


def _children(proc: subprocess.Popen) -> set[int]:
    return {int(p) for p in open(f"/proc/{proc.pid}/task/{proc.pid}/children").read().split()}


def _wait(predicate, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def test_workers_that_keep_dying_stop_the_server():
    proc = _supervise("raise SystemExit(3)")
    out = proc.communicate(timeout=60)[0]
    assert proc.returncode == 1, out
    assert out.count("exited with code 3: starting a new one") == 4  # 2 × N deaths are replaced
    assert "workers keep exiting (5 in 60s, the last with code 3)" in out


def test_a_dead_worker_is_replaced_and_a_stuck_one_killed_on_stop(tmp_path):
    stubborn = ("import os, signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
                f"open(os.path.join({str(tmp_path)!r}, str(os.getpid())), 'w').close()\ntime.sleep(300)")
    proc = _supervise(stubborn)

    def ready() -> set[int]:  # workers that ignore SIGTERM by now
        return {pid for pid in _children(proc) if (tmp_path / str(pid)).exists()}

    try:
        _wait(lambda: len(ready()) == 2, "two workers up")
        victim = min(ready())
        subprocess.run(["kill", "-9", str(victim)], check=True)
        _wait(lambda: len(ready()) == 2 and victim not in _children(proc), "the dead worker replaced")
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        out = proc.communicate(timeout=60)[0]
        assert f"worker {victim} exited with code -9: starting a new one" in out
        assert "did not stop within 1s: killing them" in out and "exit 0" in out
        assert time.monotonic() - started < 30
        assert proc.returncode == 0
    finally:
        if proc.poll() is None:
            proc.kill()
