"""Resident import at scale: a 50,000-row XLSX (and CSV) file through `community-plus residents
import`, against a fresh SecantusDB. Prints wall time, rows per second and the importing
process's peak memory (max RSS) for a small and the big file: memory must not grow with the
file (the reader streams, rows are checked and written in batches).

    .venv/bin/python bench/resident_import.py [--rows 50000] [--formats xlsx,csv]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import machine
from openpyxl import Workbook

from community_plus.platform.testing import start_test_database
from community_plus.platform.validation import id_check_digit

HEADERS = ["姓名", "身份证号", "手机号", "性别", "出生日期", "网格", "楼栋", "单元", "房号", "详细地址", "本地户籍", "标签",
           "与户主关系"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"


def rows(n: int, offset: int):
    for i in range(n):
        k = offset + i
        born = f"{1940 + k % 60}{1 + k % 12:02d}{1 + k % 28:02d}"
        first = f"{110101 + k // 1000 % 900}{born}{k % 1000:03d}"
        tags = "老年人、独居" if k % 7 == 0 else ("残疾人" if k % 11 == 0 else "")
        yield [f"{SURNAMES[k % 20]}测{k}", first + id_check_digit(first), f"13{k % 10}{k:08d}"[:11], "", "", "",
               f"{k % 30 + 1}栋", f"{k % 4 + 1}单元", str(100 + k % 900), "", "是", tags, "本人"]


def write_xlsx(path: Path, n: int, offset: int) -> None:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("居民")
    sheet.append(HEADERS)
    for row in rows(n, offset):
        sheet.append(row)
    book.save(path)


def write_csv(path: Path, n: int, offset: int) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADERS)
        writer.writerows(rows(n, offset))


async def community(uri: str) -> str:
    from community_plus.platform import db as dbm
    from community_plus.domains.platform import Platform
    from community_plus.demo.seed import seed
    from community_plus.settings import load_settings

    client = dbm.connect(uri)
    platform = Platform(load_settings(mongodb_uri=uri), client, dbm.database_of(client))
    await dbm.ensure_indexes(platform.db, {r.collection: r.indexes for r in platform.repositories()})
    await seed(platform, communities=1, residents_per_community=0, grids_per_community=2, work_orders_per_community=0)
    found = await platform.regions.coll.find_one({"level": "community"})
    await client.close()
    return found["_id"]


def import_file(uri: str, community_id: str, path: Path, data_dir: Path, *extra: str) -> tuple[float, float, str]:
    """(seconds, peak RSS MiB of the importing process, last line of its output)."""
    env = {**os.environ, "MONGODB_URI": uri, "CP_DATA_DIR": str(data_dir), "CP_LOG_FORMAT": "console"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "community_plus.cli", "residents", "import", str(path),
                           "--community", community_id, *extra], env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if done.returncode != 0:
        raise SystemExit(f"import failed:\n{done.stderr[-2000:]}")
    # ru_maxrss of children is the maximum over all children so far: run the small file first
    return seconds, max(peak, before) / 1024, done.stderr.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--formats", default="xlsx,csv")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    db = start_test_database()
    tmp = Path(tempfile.mkdtemp(prefix="cp-import-bench-"))
    try:
        uri = db.uri.replace("/?", "/bench?")
        community_id = asyncio.run(community(uri))
        offset = 0
        for fmt in args.formats.split(","):
            for n in (args.rows // 10, args.rows):
                path = tmp / f"residents-{n}.{fmt}"
                started = time.perf_counter()
                (write_xlsx if fmt == "xlsx" else write_csv)(path, n, offset)
                made = time.perf_counter() - started
                dry, dry_peak, _ = import_file(uri, community_id, path, tmp / "data", "--dry-run")
                seconds, peak, line = import_file(uri, community_id, path, tmp / "data")
                offset += n
                print(f"{fmt} {n:>6,} rows ({path.stat().st_size / 2**20:.1f} MiB, written in {made:.1f}s): "
                      f"dry run {dry:.1f}s; import {seconds:.1f}s = {n / seconds:,.0f} rows/s; "
                      f"peak RSS so far {peak:.0f} MiB\n    {line}")
    finally:
        db.stop()


if __name__ == "__main__":
    main()
