"""`platform.tasks.every`, the one periodic-loop runner: a failed run is logged and the loop
goes on; cancellation stops it."""

from __future__ import annotations

import asyncio

from community_plus.platform.tasks import every, stop_tasks


async def test_a_failed_run_is_not_fatal_and_the_next_runs_come():
    runs: list[int] = []
    third = asyncio.Event()

    async def job() -> None:
        runs.append(len(runs))
        if len(runs) == 1:
            raise RuntimeError("boom")
        if len(runs) == 3:
            third.set()

    task = asyncio.create_task(every(0.001, "test", job))
    await asyncio.wait_for(third.wait(), 5)
    await stop_tasks([task])
    assert task.cancelled() and len(runs) >= 3

