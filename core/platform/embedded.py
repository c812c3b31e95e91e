"""The embedded database: a SecantusDB child process (MongoDB wire protocol) under the data dir.

SecantusDB is GPL-2.0, so it runs only as a separate process we talk to over the wire.
One process per data directory: `acquire_database` reuses the process a running server
started (recorded in `secantusd.json`, guarded by a file lock) or starts one and stops it
when the caller is done. The child gets SIGTERM if its parent dies (no orphans).
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import structlog
from pymongo import MongoClient
from pymongo.errors import ConfigurationError as MongoConfigurationError
from pymongo.errors import PyMongoError

from community_plus.settings import Settings

READY_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0


class DatabaseError(Exception):
    """The database cannot be started or reached; the message says what to do."""


def _set_parent_death_signal() -> None:  # runs in the child before exec (Linux)
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def _port_open(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.3)
        return s.connect_ex((host, port)) == 0


def ping(uri: str, timeout_ms: int = 1500) -> bool:
    client = MongoClient(uri, serverSelectionTimeoutMS=timeout_ms, connectTimeoutMS=timeout_ms)
    try:
        client.admin.command("ping")
        return True
    except PyMongoError:
        return False
    finally:
        client.close()


def secantus_command() -> str:
    found = shutil.which("secantusd-py") or str(Path(sys.executable).parent / "secantusd-py")
    if not Path(found).exists():
        raise DatabaseError("SecantusDB is not installed. Install it with "
                            "`pip install 'community-plus[embedded]'`, or set MONGODB_URI to a MongoDB server.")
    return found


class EmbeddedDatabase:
    """One SecantusDB process with its storage under `root/db` and its log in `root`."""

    def __init__(self, root: Path, port: int, host: str = "127.0.0.1", durable: bool = True) -> None:
        self.root = Path(root)
        self.durable = durable  # fsync every commit (throwaway test databases skip it)
        self.host = host
        self.port = port
        self.process: subprocess.Popen | None = None

    @property
    def uri(self) -> str:
        return f"mongodb://{self.host}:{self.port}/?directConnection=true"

    @property
    def log_path(self) -> Path:
        return self.root / "secantusd.log"

    def log_tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def start(self) -> None:
        if _port_open(self.host, self.port):
            raise DatabaseError(f"port {self.port} is already in use by another program. Stop it, or choose "
                                f"another port with CP_DB_PORT, or set MONGODB_URI to use an existing server.")
        self.root.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [secantus_command(), "--host", self.host, "--port", str(self.port),
             "--storage-path", str(self.root / "db"), "--log-level", "WARNING",
             # acknowledged means durable: commits reach the disk before they are acknowledged
             *(["--sync-on-commit"] if self.durable else [])],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True, preexec_fn=_set_parent_death_signal,
        )
        log.close()
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise DatabaseError(f"the embedded database exited with code {self.process.returncode} while "
                                    f"starting. Last log lines ({self.log_path}):\n{self.log_tail()}")
            if _port_open(self.host, self.port) and ping(self.uri, 500):
                return
            time.sleep(0.1)
        self.stop()
        raise DatabaseError(f"the embedded database did not answer within {READY_TIMEOUT:.0f}s; see {self.log_path}")

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        proc = self.process
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        with contextlib.suppress(OSError):
            os.kill(proc.pid, signal.SIGCONT)  # a paused (SIGSTOPped) database must see the SIGTERM
        try:
            proc.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


class Supervisor:
    """Restarts the embedded database when it dies, on the same port and data, with back-off.

    The server that started the database owns it: a crash (or a `kill -9`) is logged and the
    process restarted after 0.5 s, then 1, 2, 4… up to 30 s while restarts keep failing; the
    delay resets once the database has stayed up for a minute. Requests answer 503 meanwhile
    and recover by themselves (the driver reconnects). `on_restart(pid)` records the new pid.
    """

    def __init__(self, db: EmbeddedDatabase, on_restart=None, log=None, poll: float = 0.25) -> None:
        self.db = db
        self.on_restart = on_restart or (lambda pid: None)
        self.log = log or structlog.get_logger("community_plus.platform.embedded").warning
        self.poll = poll
        self.restarts = 0
        self._stopping = threading.Event()
        # PR_SET_PDEATHSIG fires when the *thread* that forked the child exits, so restarted
        # children are forked by this long-lived thread and stopped before it ends.
        self._thread = threading.Thread(target=self._run, name="embedded-db-supervisor", daemon=True)

    def start(self) -> Supervisor:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(READY_TIMEOUT + 5)

    def _run(self) -> None:
        delay, up_since = 0.5, time.monotonic()
        while not self._stopping.wait(self.poll):
            if self.db.alive():
                if time.monotonic() - up_since > 60:
                    delay = 0.5
                continue
            code = self.db.process.returncode if self.db.process else None
            self.log(f"embedded database exited (code {code}); restarting in {delay:g}s "
                     f"(log: {self.db.log_path})")
            if self._stopping.wait(delay):
                return
            try:
                self.db.start()
            except DatabaseError as exc:
                self.log(f"embedded database restart failed: {exc}")
                delay = min(delay * 2, 30.0)
                continue
            self.restarts += 1
            up_since = time.monotonic()
            self.on_restart(self.db.process.pid)
            self.log(f"embedded database restarted (pid {self.db.process.pid}, restart #{self.restarts})")
            delay = min(delay * 2, 30.0)
        if self.db.alive():  # stop the child this thread forked before the thread ends
            self.db.stop()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False


@contextlib.contextmanager
def acquire_database(settings: Settings, supervise: bool = False) -> Iterator[str]:
    """Yield a MongoDB URI: `MONGODB_URI`, the running embedded database, or a new one.
    With `supervise`, a database started here is restarted when it dies (see `Supervisor`)."""
    if settings.mongodb_uri:
        try:
            ok = ping(settings.mongodb_uri, 3000)
        except (MongoConfigurationError, ValueError) as exc:
            raise DatabaseError(f"MONGODB_URI is not a valid MongoDB URI: {exc}") from exc
        if not ok:
            raise DatabaseError(f"cannot reach the database at MONGODB_URI ({settings.mongodb_uri}). Check that "
                                "it is running and reachable, or unset MONGODB_URI to use the embedded database.")
        yield settings.mongodb_uri
        return
    root = settings.data_dir.resolve()
    root.mkdir(parents=True, exist_ok=True)
    state = root / "secantusd.json"
    with open(root / "secantusd.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            info = json.loads(state.read_text())
        except (OSError, ValueError):
            info = None
        if info and _pid_alive(info["pid"]) and ping(info["uri"], 1500):
            fcntl.flock(lock, fcntl.LOCK_UN)
            yield info["uri"]  # reuse the process a running server started
            return
        db = EmbeddedDatabase(root, settings.db_port)
        db.start()

        def record(pid: int) -> None:
            state.write_text(json.dumps({"pid": pid, "uri": db.uri, "owner": os.getpid()}))

        record(db.process.pid)
        fcntl.flock(lock, fcntl.LOCK_UN)
    supervisor = Supervisor(db, on_restart=record).start() if supervise else None
    try:
        yield db.uri
    finally:
        if supervisor is not None:
            supervisor.stop()
        db.stop()
        with contextlib.suppress(OSError):
            state.unlink()
