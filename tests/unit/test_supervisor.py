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


def _read_until(proc: subprocess.Popen, needle: str) -> list[str]:
    seen = []
    for line in proc.stdout:
        seen.append(line)
        if needle in line:
            return seen
    raise AssertionError(f"never printed {needle!r}: {seen}")


def test_workers_that_keep_dying_stop_the_server():
    proc = _supervise("raise SystemExit(3)")
    out = proc.communicate(timeout=60)[0]
    assert proc.returncode == 1, out
    assert out.count("exited with code 3: starting a new one") == 4  # 2 × N deaths are replaced
    assert "workers keep exiting (5 in 60s, the last with code 3)" in out


def test_a_dead_worker_is_replaced_and_a_stuck_one_killed_on_stop():
    stubborn = "import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nprint('up', flush=True)\n" \
               "time.sleep(300)"
    proc = _supervise(stubborn)
    try:
        _read_until(proc, "up")
        _read_until(proc, "up")
        children = [int(p) for p in open(f"/proc/{proc.pid}/task/{proc.pid}/children").read().split()]
        subprocess.run(["kill", "-9", str(children[0])], check=True)
        _read_until(proc, f"worker {children[0]} exited with code -9: starting a new one")
        _read_until(proc, "up")
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        rest = "".join(_read_until(proc, "exit 0"))
        assert "did not stop within 1s: killing them" in rest
        assert time.monotonic() - started < 30
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
