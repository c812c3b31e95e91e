"""The command line and the embedded database process: start, reuse, clean stop, clear errors."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from community_plus.platform.testing import free_port

CLI = [sys.executable, "-m", "community_plus.cli"]


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "MONGODB_URI"}
    env.update({"CP_DATA_DIR": str(tmp_path / "data"), "CP_DB_PORT": str(free_port()), "CP_ENV": "dev",
                "CP_LOG_FORMAT": "console", **extra})
    return env


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    try:  # a zombie is dead for our purposes
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def _wait_http(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer")


class Output:
    """The merged output of a child process, read line by line in a thread so that a test can
    wait for a line with a deadline (a blocking read on the pipe could hang the test)."""

    def __init__(self, proc: subprocess.Popen) -> None:
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, args=(proc.stdout,), daemon=True).start()

    def _pump(self, stream) -> None:
        for line in stream:
            self._queue.put(line)
        self._queue.put(None)

    def wait_for(self, pattern: str, timeout: float = 90) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        for line in self.lines:
            if m := re.search(pattern, line):
                return m
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self._queue.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                break
            self.lines.append(line)
            if m := re.search(pattern, line):
                return m
        raise AssertionError(f"no line matching {pattern!r} in:\n{''.join(self.lines)}")

    def rest(self, timeout: float = 30) -> str:
        """Everything until the process closes its output."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self._queue.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                break
            self.lines.append(line)
        return "".join(self.lines)


def _post_json(url: str, payload: dict) -> dict:
    req = urllib.request.Request(url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"},
                                 method="POST")
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


def test_dev_serve_seeds_a_small_demo_and_logs_in_through_its_fake_wechat(tmp_path):
    """`make serve` on a fresh machine: the small demo in seconds, plain progress lines when the
    output is not a terminal, and WeChat login through the fake WeChat that serve starts."""
    env = {k: v for k, v in _env(tmp_path).items() if not k.startswith("CP_WECHAT_")}
    port = free_port()
    server = subprocess.Popen([*CLI, "serve", "--port", str(port), "--seed-if-empty"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out = Output(server)
    try:
        out.wait_for(r"seeding residents: 300/300 \(100%\)")
        base = out.wait_for(r"fake WeChat server runs on (http://127\.0\.0\.1:\d+)").group(1)
        _wait_http(f"http://127.0.0.1:{port}/readyz")
        minted = _post_json(f"{base}/_fake/code?user=alice", {})
        login = "mutation($c: String!) { loginWithWechat(code: $c) { accessToken viewer { role } } }"
        body = _post_json(f"http://127.0.0.1:{port}/graphql", {"query": login, "variables": {"c": minted["code"]}})
        assert body.get("data", {}).get("loginWithWechat", {}).get("viewer") == {"role": "RESIDENT"}, body
        again = _post_json(f"http://127.0.0.1:{port}/graphql", {"query": login, "variables": {"c": minted["code"]}})
        assert again.get("errors"), again  # a code works once (the fake answers 40163)
        staff = _post_json(f"http://127.0.0.1:{port}/graphql", {"query": 'mutation { loginWithPassword(username: '
                           '"admin001", password: "community-plus") { viewer { role } } }'})
        assert staff["data"]["loginWithPassword"]["viewer"]["role"] == "COMMUNITY_ADMIN"
    finally:
        server.send_signal(signal.SIGTERM)
        text = out.rest(timeout=60)
        server.wait(timeout=30)
    assert server.returncode == 0, text
    assert "stopped cleanly" in text


def test_serve_reuse_and_sigterm_leaves_no_database_process(tmp_path):
    env = _env(tmp_path)
    port = free_port()
    server = subprocess.Popen([*CLI, "serve", "--port", str(port)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        _wait_http(f"http://127.0.0.1:{port}/readyz")
        state = json.loads((tmp_path / "data" / "secantusd.json").read_text())
        db_pid = state["pid"]
        assert _pid_alive(db_pid)
        # another command reuses the running server's database instead of starting a second one
        seeded = subprocess.run([*CLI, "seed", "--communities", "1", "--residents-per-community", "5"], env=env,
                                capture_output=True, text=True, timeout=120)
        assert seeded.returncode == 0, seeded.stderr
        assert "seeded 1 communities" in seeded.stderr
        assert json.loads((tmp_path / "data" / "secantusd.json").read_text())["pid"] == db_pid
        assert _pid_alive(db_pid)
        created = subprocess.run([*CLI, "admin", "create-user", "--username", "zhang", "--role", "community_admin",
                                  "--community", "320102001001", "--password", "s3cret-pass"], env=env,
                                 capture_output=True, text=True, timeout=60)
        assert created.returncode == 0, created.stderr
        bad = subprocess.run([*CLI, "admin", "create-user", "--username", "li", "--role", "grid_worker",
                              "--community", "nope", "--password", "short"], env=env,
                             capture_output=True, text=True, timeout=60)
        assert bad.returncode != 0 and "password" in bad.stderr and "community" in bad.stderr
        # the new account can log in through the running server
        body = json.dumps({"query": 'mutation { loginWithPassword(username: "zhang", password: "s3cret-pass") '
                                    '{ viewer { role } } }'}).encode()
        req = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", data=body,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            assert json.loads(resp.read())["data"]["loginWithPassword"]["viewer"]["role"] == "COMMUNITY_ADMIN"
    finally:
        server.send_signal(signal.SIGTERM)
        out, _ = server.communicate(timeout=90)
    assert server.returncode == 0, out
    assert "stopped cleanly" in out
    deadline = time.monotonic() + 5
    while _pid_alive(db_pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _pid_alive(db_pid), "the database process outlived the server"
    assert not (tmp_path / "data" / "secantusd.json").exists()


def test_port_in_use_is_one_clear_message(tmp_path):
    env = _env(tmp_path)
    with socket.socket() as s:
        s.bind(("127.0.0.1", int(env["CP_DB_PORT"])))
        s.listen()
        result = subprocess.run([*CLI, "seed", "--communities", "1"], env=env, capture_output=True, text=True,
                                timeout=60)
    assert result.returncode != 0
    assert "already in use" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("uri, message", [
    ("mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=500", "cannot reach the database"),
    ("http://not-mongo", "not a valid MongoDB URI"),
])
def test_bad_mongodb_uri(tmp_path, uri, message):
    result = subprocess.run([*CLI, "serve"], env=_env(tmp_path, MONGODB_URI=uri), capture_output=True, text=True,
                            timeout=60)
    assert result.returncode != 0
    assert message in result.stderr and "Traceback" not in result.stderr


def test_crashing_database_is_reported(tmp_path):
    env = _env(tmp_path)
    data = tmp_path / "data"
    data.mkdir()
    (data / "db").write_text("not a directory")  # SecantusDB cannot open its storage
    result = subprocess.run([*CLI, "seed", "--communities", "1"], env=env, capture_output=True, text=True, timeout=90)
    assert result.returncode != 0
    assert "the embedded database exited with code" in result.stderr  # followed by its own log lines
    assert "core/cli/__init__.py" not in result.stderr  # our CLI reported it; it did not crash
