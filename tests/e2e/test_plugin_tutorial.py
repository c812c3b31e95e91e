"""docs/plugin-guide.md's tutorial, followed literally so that it cannot rot.

The tutorial's conventions (stated in the guide): a fenced block titled with a file path is the
whole file; `$` lines in `console` blocks are commands; a `graphql` block marked
`live="<username>"` runs against the live server as that user, and a following `json result`
block is the expected `data`. Everything runs in document order in a temporary folder.

Commands are run as written, except where a test must not touch the shared environment:
`pip install -e X` installs into a folder of the test (`--target`, on PYTHONPATH) instead of the
venv, and `community-plus sandbox X` is stood for by what it does for the live part — a
`community-plus serve` subprocess on a fresh database of the test session's database process,
seeded by `community-plus seed`, with the plugin on PYTHONPATH. Any other command fails the
test, so the guide cannot grow a step this test does not follow.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from community_plus.platform.testing import free_port

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "plugin-guide.md"
FENCE = re.compile(r"^```(\w+)([^\n]*)\n(.*?)^```[ \t]*$", re.M | re.S)
ATTRIBUTE = re.compile(r'(\w+)(?:="([^"]*)")?')
PASSWORD = "community-plus"


@dataclass
class Block:
    lang: str
    attrs: dict[str, str]
    body: str


def tutorial_blocks() -> list[Block]:
    text = GUIDE.read_text(encoding="utf-8")
    start, end = text.index("\n## 2. Tutorial"), text.index("\n## 3. Reference")
    return [Block(m.group(1), {k: v or "" for k, v in ATTRIBUTE.findall(m.group(2))}, m.group(3))
            for m in FENCE.finditer(text[start:end])]


def _post(port: int, query: str, token: str | None = None) -> dict:
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    req = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", json.dumps({"query": query}).encode(), headers)
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())


@dataclass
class Tutorial:
    """The reader: a workspace, the plugin's install folder, and (from the sandbox step on) a server."""

    workspace: Path
    site: Path
    db_uri: str
    data_dir: Path
    ran: list[str] = field(default_factory=list)
    server: subprocess.Popen | None = None
    port: int = 0
    tokens: dict[str, str] = field(default_factory=dict)

    installed: list[Path] = field(default_factory=list)

    def env(self) -> dict[str, str]:
        """The plugin on the path, and not this session's test plugins. Python reads the .pth of
        an editable install only in site directories, not on PYTHONPATH, so the installed project
        folders go on PYTHONPATH too: that is what the editable finder maps the package to."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "CP_", "MONGODB_"))}
        env["PYTHONPATH"] = os.pathsep.join(map(str, [self.site, *self.installed]))
        return env

    def cli(self, *args: str, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 300):
        # -P: like the console script, never import from the current folder
        return subprocess.run([sys.executable, "-P", "-m", "community_plus.cli", *args], cwd=cwd or self.workspace,
                              env=env or self.env(), capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)

    def run(self, command: str) -> None:
        self.ran.append(command)
        words = shlex.split(command)
        if words[:3] == ["community-plus", "plugin", "new"]:
            done = self.cli(*words[1:])
            assert done.returncode == 0, done.stdout + done.stderr
        elif words[:2] == ["pip", "install"] and words[2] == "-e" and len(words) == 4:
            subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(self.site),
                            "-e", str(self.workspace / words[3])], check=True, capture_output=True)
            self.installed.append(self.workspace / words[3].split("[")[0])  # `folder[test]`: the extra's harness is here
        elif len(words) == 4 and words[0] == "cd" and words[2:] == ["&&", "pytest"]:
            done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                                  cwd=self.workspace / words[1], env=self.env(), capture_output=True, text=True,
                                  timeout=300)
            assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
            assert re.search(r"\b\d+ passed\b", done.stdout) and "failed" not in done.stdout
        elif words[:3] == ["community-plus", "plugin", "check"]:
            done = self.cli(*words[1:])
            assert done.returncode == 0 and "all good" in done.stdout, done.stdout + done.stderr
        elif words[:2] == ["community-plus", "sandbox"] and len(words) == 3:
            self.start_server()
        else:
            raise AssertionError(f"the tutorial runs {command!r}, which this test does not know how to follow")

    def start_server(self) -> None:
        env = {**self.env(), "MONGODB_URI": self.db_uri, "CP_DATA_DIR": str(self.data_dir), "CP_ENV": "dev",
               "CP_LOG_FORMAT": "console", "CP_BACKGROUND_JOBS": "false", "CP_PLUGINS": "notice_board"}
        seeded = self.cli("seed", "--communities", "2", "--residents-per-community", "10", env=env)
        assert seeded.returncode == 0, seeded.stderr[-3000:]
        self.port = free_port()
        self.server = subprocess.Popen([sys.executable, "-P", "-m", "community_plus.cli", "serve", "--port",
                                        str(self.port)], cwd=self.workspace, env=env, stdin=subprocess.DEVNULL,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/readyz", timeout=2)
                return
            except OSError:
                assert self.server.poll() is None, self.server.stderr.read().decode()[-3000:]
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)

    def query(self, username: str, query: str) -> dict:
        assert self.server is not None, "a live query before the tutorial started a server"
        if username not in self.tokens:
            login = ('mutation { loginWithPassword(username: "%s", password: "%s") { accessToken } }'
                     % (username, PASSWORD))
            self.tokens[username] = _post(self.port, login)["data"]["loginWithPassword"]["accessToken"]
        body = _post(self.port, query, self.tokens[username])
        assert not body.get("errors"), body["errors"]
        return body["data"]

    def stop(self) -> None:
        if self.server is not None:
            self.server.terminate()
            self.server.wait(30)


def test_the_guide_has_a_complete_tutorial():
    blocks = tutorial_blocks()
    files = [b.attrs["title"] for b in blocks if "title" in b.attrs]
    assert {"notice_board/notice_board/models.py", "notice_board/notice_board/graphql.py",
            "notice_board/notice_board/__init__.py", "notice_board/tests/test_notice_board.py"} <= set(files)
    commands = [line for b in blocks if b.lang == "console" for line in b.body.splitlines() if line.startswith("$ ")]
    assert commands[0].startswith("$ community-plus plugin new notice_board")
    lives = [b for b in blocks if "live" in b.attrs]
    assert len(lives) >= 3 and all(blocks[blocks.index(b) + 1].attrs.get("result") == "" for b in lives)


def test_follow_the_tutorial(tmp_path, db_uri):
    reader = Tutorial(workspace=tmp_path / "work", site=tmp_path / "site", db_uri=db_uri, data_dir=tmp_path / "data")
    reader.workspace.mkdir()
    blocks = tutorial_blocks()
    checked = 0
    try:
        for i, block in enumerate(blocks):
            if "title" in block.attrs:
                path = reader.workspace / block.attrs["title"]
                assert path.parent.is_dir(), f"{block.attrs['title']}: the tutorial has not created its folder yet"
                path.write_text(block.body, encoding="utf-8")
            elif block.lang == "console":
                for line in block.body.splitlines():
                    if line.startswith("$ "):
                        reader.run(line[2:])
            elif "live" in block.attrs:
                data = reader.query(block.attrs["live"], block.body)
                following = blocks[i + 1] if i + 1 < len(blocks) else None
                if following is not None and "result" in following.attrs:
                    assert data == json.loads(following.body), block.body
                    checked += 1
    finally:
        reader.stop()
    assert any(c.startswith("cd notice_board && pytest") for c in reader.ran)
    assert any(c.startswith("community-plus plugin check") for c in reader.ran)
    assert checked >= 4
