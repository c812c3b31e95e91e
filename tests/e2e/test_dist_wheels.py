"""Proof that a module needs no checkout: `make dist`'s wheels (SDK, harness, server) installed
into a fresh virtual environment outside the repository, a module scaffolded there with
`community-plus plugin new`, and the scaffold's tests run with the harness — they pass.

The dependencies come from the package index once, into `.community-plus/wheelhouse`
(gitignored); later runs install from it offline. Nothing is imported from the checkout."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD_DIST = ROOT / "scripts" / "build_dist.py"
WHEELHOUSE = ROOT / ".community-plus" / "wheelhouse"  # the dependencies' wheels, kept between runs


def _build_dist():
    spec = importlib.util.spec_from_file_location("build_dist", BUILD_DIST)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _env() -> dict[str, str]:
    """The environment of a third party: none of this test run's, this venv's or the checkout's."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTEST_", "CP_", "COV_")) and k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    return env


def _run(args: list[str], cwd: Path, timeout: int = 600, check: bool = True) -> subprocess.CompletedProcess[str]:
    run = subprocess.run(args, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=timeout,
                         stdin=subprocess.DEVNULL)
    assert run.returncode == 0 or not check, f"{args}\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
    return run


def _pip_install(py: Path, wheels: list[Path | str], cwd: Path) -> None:
    """`pip install` of the wheels, their dependencies from the wheelhouse when it has them all,
    else from the package index (and then kept in the wheelhouse for the next run)."""
    offline = [str(py), "-m", "pip", "install", "--quiet", "--no-index", "--find-links", str(WHEELHOUSE),
               *map(str, wheels)]
    if WHEELHOUSE.is_dir() and _run(offline, cwd, check=False).returncode == 0:
        return
    _run([str(py), "-m", "pip", "wheel", "--quiet", "--find-links", str(WHEELHOUSE), "--wheel-dir", str(WHEELHOUSE),
          *map(str, wheels)], cwd)
    if _run(offline, cwd, check=False).returncode == 0:
        return
    # the wheelhouse still lacks something (pip keeps some wheels out of it): the index, then
    _run([str(py), "-m", "pip", "install", "--quiet", "--find-links", str(WHEELHOUSE), *map(str, wheels)], cwd)


@pytest.mark.timeout(900)
def test_wheels_install_and_a_scaffolded_module_passes_its_tests_outside_the_checkout(tmp_path):
    wheels = {w.name.split("-")[0]: w for w in _build_dist().build(tmp_path / "dist")}
    modules = {"community_plus_" + p.name for p in (ROOT / "plugins").iterdir() if (p / "pyproject.toml").is_file()}
    assert set(wheels) == {"community_plus_sdk", "community_plus_harness", "community_plus", *modules}
    assert {"community_plus_consultation", "community_plus_village_affairs"} <= modules

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True, system_site_packages=False).create(env_dir)
    py, bin_dir = env_dir / "bin" / "python", env_dir / "bin"
    # the guide's install: the SDK, the harness and the server, from their wheels
    # (and setuptools, to install the scaffold editable as the guide does, without a build environment)
    _pip_install(py, [wheels["community_plus_sdk"], wheels["community_plus_harness"], wheels["community_plus"],
                      "setuptools>=77"], tmp_path)
    where = _run([str(py), "-c", "import community_plus, community_plus_sdk, community_plus_harness as h;"
                  "print(community_plus.__file__, community_plus_sdk.__file__, h.__file__)"], cwd=tmp_path)
    assert all(Path(f).is_relative_to(env_dir) for f in where.stdout.split()), where.stdout

    work = tmp_path / "work"
    work.mkdir()
    _run([str(bin_dir / "community-plus"), "plugin", "new", "notice_board", "--title", "社区公告栏"], cwd=work)
    plugin = work / "notice_board"
    pyproject = (plugin / "pyproject.toml").read_text("utf-8")
    assert "community-plus-sdk>=1,<2" in pyproject and '"community-plus"' not in pyproject
    _run([str(py), "-m", "pip", "install", "--quiet", "--no-index", "--no-build-isolation", "-e", f"{plugin}[test]"],
         cwd=work)
    tests = _run([str(py), "-m", "pytest", "-q", "-p", "no:cacheprovider"], cwd=plugin)
    assert "3 passed" in tests.stdout, tests.stdout[-2000:]
    check = _run([str(bin_dir / "community-plus"), "plugin", "check", str(plugin)], cwd=work)
    assert "all good" in check.stdout, check.stdout
