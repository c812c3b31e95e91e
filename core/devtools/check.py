"""`community-plus plugin check PATH`: find a plugin's mistakes before anyone installs it.

One function per class of problem, each returning `Problem`s that say where (file, line)
and how to fix it:

| check | function | runs |
|---|---|---|
| pyproject | `source_checks.check_pyproject` | here (reads pyproject.toml) |
| core-imports | `source_checks.check_core_imports` | here (reads the source with `ast`) |
| notify | `source_checks.check_notify` | here |
| load | `probe.load_plugin` | in a child process (imports the plugin) |
| manifest | `manifest_checks.check_manifest` | child |
| settings-schema | `manifest_checks.check_settings_schema`, `check_settings_titles` (warnings) | child |
| hooks | `hook_checks.check_hooks`, `check_unregistered_hooks` | child |
| collisions | `name_checks.check_collisions` | child (through `PluginRegistry.add`, like the server) |
| collections | `name_checks.check_collections` | child |
| permissions | `name_checks.check_permissions` | child |

Importing happens in a child process (`python -m community_plus.devtools.probe`) so that a
plugin's import-time code cannot affect the caller and two checks never share module caches.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

from community_plus.devtools.problems import Problem, Report
from community_plus.devtools.project import PluginProject
from community_plus.devtools.source_checks import check_core_imports, check_notify, check_pyproject

PROBE_TIMEOUT = 180


def check_plugin(path: str | Path) -> Report:
    """Run every check on the plugin folder at `path`."""
    project = PluginProject.load(path)
    report = Report(project.root, dist_name=project.dist_name)
    report.problems += check_pyproject(project)
    if project.error or not project.entry_points or not project.packages:
        return report
    report.problems += check_core_imports(project)
    report.problems += check_notify(project)
    found = run_probe(project)
    report.modules = found.get("modules", [])
    report.problems += [Problem(**p) for p in found.get("problems", [])]
    return report


def run_probe(project: PluginProject) -> dict[str, Any]:
    """Import the plugin in a child process and run the checks that need it."""
    with tempfile.TemporaryDirectory(prefix="cp-check-") as tmp:
        out = Path(tmp) / "probe.json"
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
        try:
            proc = subprocess.run([sys.executable, "-P", "-m", "community_plus.devtools.probe", str(project.root), str(out)],
                                  capture_output=True, text=True, timeout=PROBE_TIMEOUT, env=env,
                                  stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            return {"problems": [asdict(Problem("load", f"importing the plugin took over {PROBE_TIMEOUT}s",
                                                "do no I/O at import time"))]}
        if not out.exists():
            tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-8:])
            return {"problems": [asdict(Problem("load", f"the plugin could not be inspected (exit {proc.returncode}):\n"
                                                f"{tail}", "fix the error above (it happens while importing the plugin)"))]}
        return json.loads(out.read_text())


def to_json(report: Report) -> str:
    return json.dumps({"path": str(report.path), "modules": report.modules,
                       "problems": [asdict(p) for p in report.problems]}, ensure_ascii=False, indent=2)
