"""`community-plus seed` runs the module's `seed_demo_data` hook (idempotently): demo topics
appear in the community it enables the module in, and the dashboard counts them."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

CLI = str(Path(sys.executable).with_name("community-plus"))


def seed(cp_settings) -> None:
    env = {**os.environ, "MONGODB_URI": cp_settings.mongodb_uri, "CP_PLUGINS": "consultation",
           "CP_DATA_DIR": str(cp_settings.data_dir)}
    subprocess.run([CLI, "seed", "--communities", "2", "--residents-per-community", "10"], env=env, check=True,
                   capture_output=True, timeout=300)


async def test_seed_adds_demo_topics_once(kit, community, cp_settings):
    other = community.other  # seed enables module k=0 in communities i with i % 3 != 0: the second one
    await other.set_module("consultation", True)
    await asyncio.to_thread(seed, cp_settings)
    await asyncio.to_thread(seed, cp_settings)
    resident = other.client("resident")
    topics = (await resident.ok(kit.TOPICS, {}))["consultationTopics"]
    assert topics["totalCount"] == 3
    assert {e["node"]["state"] for e in topics["edges"]} == {"OPEN", "RESOLVED"}
    archived = (await resident.ok(kit.TOPICS, {"f": {"state": "RESOLVED"}}))["consultationTopics"]["edges"]
    assert [e["node"]["title"] for e in archived] == ["物业服务季度评议"]
    stats = (await other.client("community_admin").ok(kit.STATS, {"u": kit.deadline(1)}))["moduleStatistics"]
    assert {"module": "consultation", "key": "topics_open", "value": 2.0} in stats
    assert (await community.client("resident").ok(kit.TOPICS, {}))["consultationTopics"]["totalCount"] == 0
