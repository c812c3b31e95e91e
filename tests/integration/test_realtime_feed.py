"""The worker's change-stream feed never starves the event loop: when its stream is
invalidated (here: the events collection dropped under it) it reopens with back-off while
requests keep being served, and the app still shuts down promptly."""

from __future__ import annotations

import asyncio

from community_plus.keys import PLATFORM
from community_plus.platform.event_log import COLLECTION


async def test_an_invalidated_change_stream_is_reopened_without_blocking(aiohttp_client, settings):
    from community_plus.app import create_app

    client = await aiohttp_client(create_app(settings.model_copy(update={"realtime_feed": "change_stream"})))
    platform = client.app[PLATFORM]
    assert (await client.get("/readyz")).status == 200
    await platform.db.drop_collection(COLLECTION)  # invalidates the feed's change stream
    for _ in range(5):  # the loop stays responsive (before the fix it spun on try_next forever)
        resp = await asyncio.wait_for(client.post("/graphql", json={"query": "{ __typename }"}), 5)
        assert resp.status == 200
        await asyncio.sleep(0.3)
