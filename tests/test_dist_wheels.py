"""Proof that a module needs no checkout: `make dist`'s wheels (SDK, harness, server) installed
into a fresh virtual environment outside the repository, a module scaffolded there with
`community-plus plugin new`, and the scaffold's tests run with the harness — they pass.

Dependencies come from the package index (pip's cache in `.community-plus/pip-cache` makes
later runs fast); nothing is imported from the checkout."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BUILD_DIST = ROOT / "scripts" / "build_dist.py"
CACHE = ROOT / ".community-plus" / "pip-cache"


def _build_dist():
    spec = importlib.util.spec_from_file_location("build_dist", BUILD_DIST)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _env() -> dict[str, str]:
    """The environment of a third party: none of this test run's, this venv's or the checkout's."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTEST_", "CP_", "COV_")) and k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    return {**env, "PIP_CACHE_DIR": str(CACHE)}


def _run(args: list[str], cwd: Path, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    run = subprocess.run(args, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=timeout,
                         stdin=subprocess.DEVNULL)
    assert run.returncode == 0, f"{args}\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
    return run


@pytest.mark.timeout(900)
def test_wheels_install_and_a_scaffolded_module_passes_its_tests_outside_the_checkout(tmp_path):
    wheels = {w.name.split("-")[0]: w for w in _build_dist().build(tmp_path / "dist")}
    assert set(wheels) == {"community_plus_sdk", "community_plus_harness", "community_plus",
                           "community_plus_elder_care", "community_plus_meal_assist", "community_plus_micro_charity"}

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True, system_site_packages=False).create(env_dir)
    py, bin_dir = env_dir / "bin" / "python", env_dir / "bin"
    # the guide's install: the SDK, the harness and the server, from their wheels
    _run([str(py), "-m", "pip", "install", "--quiet", str(wheels["community_plus_sdk"]),
          str(wheels["community_plus_harness"]), str(wheels["community_plus"])], cwd=tmp_path)
    where = _run([str(py), "-c", "import community_plus, community_plus_sdk, community_plus_harness as h;"
                  "print(community_plus.__file__, community_plus_sdk.__file__, h.__file__)"], cwd=tmp_path)
    assert all(Path(f).is_relative_to(env_dir) for f in where.stdout.split()), where.stdout

    work = tmp_path / "work"
    work.mkdir()
    _run([str(bin_dir / "community-plus"), "plugin", "new", "notice_board", "--title", "社区公告栏"], cwd=work)
    plugin = work / "notice_board"
    pyproject = (plugin / "pyproject.toml").read_text("utf-8")
    assert "community-plus-sdk>=1,<2" in pyproject and '"community-plus"' not in pyproject
    _run([str(py), "-m", "pip", "install", "--quiet", "-e", f"{plugin}[test]"], cwd=work)
    tests = _run([str(py), "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=plugin)
    assert "3 passed" in tests.stdout, tests.stdout[-2000:]
    check = _run([str(bin_dir / "community-plus"), "plugin", "check", str(plugin)], cwd=work)
    assert "all good" in check.stdout, check.stdout
