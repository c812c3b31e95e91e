#!/usr/bin/env python3
"""`make dist`: wheels of the SDK, the harness, the server and the built-in modules.

    python scripts/build_dist.py [OUTDIR]        # default dist/

Uses `pip wheel --no-deps --no-build-isolation`: the projects are built with the setuptools
of the running environment (the dev extra brings it), so it needs no network. Prints the
wheels it wrote, one a line. A third party
installs them with `pip install OUTDIR/*.whl` (see docs/plugin-guide.md).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROJECTS = [ROOT / "sdk", ROOT / "sdk" / "harness", ROOT,
            *sorted(p.parent for p in (ROOT / "plugins").glob("*/pyproject.toml"))]


def build(outdir: Path, python: str = sys.executable) -> list[Path]:
    """Build every wheel into `outdir`; returns their paths (SDK, harness, server, modules)."""
    outdir.mkdir(parents=True, exist_ok=True)
    before = set(outdir.glob("*.whl"))
    for project in PROJECTS:  # setuptools packs whatever build/lib holds: never a stale file of an older build
        shutil.rmtree(project / "build", ignore_errors=True)
    subprocess.run([python, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "--no-index",
                    "--wheel-dir", str(outdir), *map(str, PROJECTS)], check=True, cwd=ROOT)
    return sorted(set(outdir.glob("*.whl")) - before) or sorted(outdir.glob("*.whl"))


if __name__ == "__main__":
    for wheel in build(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "dist"):
        print(wheel)
