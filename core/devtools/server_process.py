"""The sandbox's server worker (`python -m community_plus.devtools.worker`) as a child
process: started, awaited until `/readyz` answers, stopped; a warm spare (the server
imported, no plugin yet) takes over on restart, which halves the time to reload."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import signal
import subprocess
import sys
import time

import aiohttp

from community_plus.devtools.sandbox_options import SandboxOptions

READY_TIMEOUT = 120.0


def _parent_death_signal() -> None:  # in the child, before exec (Linux): no orphaned servers
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)


class ServerProcess:
    """The server worker: started, awaited until ready, stopped; on restart a warm spare (the
    server imported, no plugin yet) takes over, which halves the time to reload."""

    def __init__(self, options: SandboxOptions, env: dict[str, str]) -> None:
        self.options = options
        self.env = env
        self.proc: asyncio.subprocess.Process | None = None
        self.spare: asyncio.subprocess.Process | None = None

    async def _spawn(self, wait: bool) -> asyncio.subprocess.Process:
        o = self.options
        # -P: never import from the current folder (it may hold the plugin's project folder,
        # whose name is the package's: a namespace package would shadow the real one)
        args = ["-P", "-m", "community_plus.devtools.worker", "--host", o.host, "--port", str(o.port)]
        if o.target is not None:
            args += ["--site", str(o.target.resolve())]
        if wait:
            args.append("--wait")
        return await asyncio.create_subprocess_exec(
            sys.executable, *args, env=self.env, stdin=subprocess.PIPE if wait else subprocess.DEVNULL,
            start_new_session=True, preexec_fn=_parent_death_signal)

    async def start(self) -> None:
        spare, self.spare = self.spare, None
        if spare is not None and spare.returncode is None:
            spare.stdin.write(b"start\n")
            await spare.stdin.drain()
            self.proc = spare
        else:
            self.proc = await self._spawn(wait=False)

    async def warm_spare(self) -> None:
        """Prepare the next server process (call once the current one is ready)."""
        if self.spare is None or self.spare.returncode is not None:
            self.spare = await self._spawn(wait=True)

    async def discard_spare(self) -> None:
        """Drop the spare (after a reinstall its import paths may be stale)."""
        spare, self.spare = self.spare, None
        if spare is not None and spare.returncode is None:
            spare.stdin.close()
            await spare.wait()

    async def ready(self, timeout: float = READY_TIMEOUT) -> bool:
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession() as http:
            while time.monotonic() < deadline:
                if self.proc is None or self.proc.returncode is not None:
                    return False
                with contextlib.suppress(aiohttp.ClientError, asyncio.TimeoutError):
                    async with http.get(f"{self.options.base}/readyz", timeout=aiohttp.ClientTimeout(total=2)) as r:
                        if r.status == 200:
                            return True
                await asyncio.sleep(0.15)
        return False

    async def stop(self, *, spare: bool = False) -> None:
        if spare:
            await self.discard_spare()
        proc, self.proc = self.proc, None
        if proc is None or proc.returncode is not None:
            return
        proc.terminate()
        try:
            await asyncio.wait_for(proc.wait(), 10)
        except TimeoutError:
            proc.kill()
            await proc.wait()
