"""What a sandbox session (`community-plus sandbox`) is started with, and how it reports: the
console it prints to and `SandboxError` (the session cannot start; the CLI shows the message)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

console = Console(soft_wrap=True, highlight=False)


class SandboxError(Exception):
    """The sandbox cannot start; the message says why and what to do."""


@dataclass
class SandboxOptions:
    plugin: Path | None = None
    host: str = "127.0.0.1"
    port: int = 8088
    wechat_port: int = 9080
    db_port: int = 27218
    data_dir: Path = Path(".community-plus/sandbox")
    communities: int = 3
    residents_per_community: int = 60
    target: Path | None = None
    install: bool = True

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def wechat_base(self) -> str:
        return f"http://{self.host}:{self.wechat_port}"
