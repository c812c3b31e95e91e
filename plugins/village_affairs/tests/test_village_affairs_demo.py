"""`community-plus seed` runs the module's `seed_demo_data` hook (idempotently): this year's
standard catalogue, last month's finances published and a decision scheduled."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

CLI = str(Path(sys.executable).with_name("community-plus"))


def seed(cp_settings) -> None:
    env = {**os.environ, "MONGODB_URI": cp_settings.mongodb_uri, "CP_PLUGINS": "village_affairs",
           "CP_DATA_DIR": str(cp_settings.data_dir)}
    subprocess.run([CLI, "seed", "--communities", "2", "--residents-per-community", "10"], env=env, check=True,
                   capture_output=True, timeout=300)


async def test_seed_adds_demo_disclosures_once(kit, community, cp_settings):
    other = community.other  # seed enables module k=0 in communities i with i % 3 != 0: the second one
    await other.set_module("village_affairs", True)
    await asyncio.to_thread(seed, cp_settings)
    await asyncio.to_thread(seed, cp_settings)
    public = (await other.client("resident").ok(kit.DISCLOSURES))["villageDisclosures"]
    assert public["totalCount"] == 1 and public["edges"][0]["node"]["state"] == "PUBLISHED"
    staff = (await other.client("community_admin").ok(kit.DISCLOSURES))["villageDisclosures"]
    assert sorted(e["node"]["state"] for e in staff["edges"]) == ["PUBLISHED", "SCHEDULED"]
    year = (datetime.now(UTC) + timedelta(hours=8)).year
    items = await other.client("resident").ok("query($y: Int!) { villageDisclosureRequirements(year: $y) { totalCount } }",
                                              {"y": year})
    assert items["villageDisclosureRequirements"]["totalCount"] == 5
    assert (await community.client("resident").ok(kit.DISCLOSURES))["villageDisclosures"]["totalCount"] == 0
