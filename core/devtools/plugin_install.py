"""The sandbox installs the plugin under development in editable mode (`pip install -e`, into
`--target` when given), once: a folder already installed editable with the same entry points
is left alone; a changed pyproject.toml forces a re-install."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.metadata import distributions
from pathlib import Path

from community_plus.devtools.project import GROUP, PluginProject, normalize_dist
from community_plus.devtools.sandbox_options import SandboxError, console


def _installed_editable(project: PluginProject, target: Path | None) -> bool:
    """Whether this folder is already installed in editable mode with the same entry points."""
    own = normalize_dist(project.dist_name or "")
    wanted = {ep.name: ep.value for ep in project.entry_points}
    for dist in distributions(path=[str(target)]) if target else distributions():
        if normalize_dist(dist.metadata["Name"] or "") != own:
            continue
        try:
            direct = json.loads(dist.read_text("direct_url.json") or "{}")
        except ValueError:
            return False
        eps = {ep.name: ep.value for ep in dist.entry_points if ep.group == GROUP}
        return bool(direct.get("dir_info", {}).get("editable")) and direct.get("url") == project.root.as_uri() \
            and eps == wanted
    return False


def install_command(project: PluginProject, target: Path | None) -> list[str]:
    cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    if target is not None:  # community-plus itself is already importable: never copy it into the target
        cmd += ["--no-deps", "--upgrade", "--target", str(target)]
    return [*cmd, "-e", str(project.root)]


def install_plugin(project: PluginProject, target: Path | None, *, force: bool = False) -> None:
    if not force and _installed_editable(project, target):
        console.print(f"[green]✔[/] {project.dist_name} is installed in editable mode")
        return
    console.print(f"installing {project.dist_name} in editable mode (pip install -e {project.root})…")
    proc = subprocess.run(install_command(project, target), capture_output=True, text=True)
    if proc.returncode != 0:
        raise SandboxError(f"pip install -e {project.root} failed:\n{proc.stderr.strip()[-2000:]}")
