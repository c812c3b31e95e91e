"""Run every benchmark in turn (`make bench`); each prints its own figures. The province runs
at a tenth of its size here (20,000 communities × 10 residents); run
`bench/province_scale.py` alone for the full 2,000,000 residents."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent

for script, *args in (("home_query.py",), ("modules_bench.py",), ("workers_bench.py",), ("subscribers.py",),
                      ("province_scale.py", "--communities", "20000", "--residents", "200000")):
    print(f"\n=== {script} {' '.join(args)} ===", flush=True)
    subprocess.run([sys.executable, str(HERE / script), *args], check=True)
