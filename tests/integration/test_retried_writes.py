"""A write the driver retried after it had landed is not a duplicate.

A TCP proxy between PyMongo and the test's own database process forwards an insert, lets
the database store it, holds the reply while the database is killed and restarted, and then
drops the connection: the driver retries the write on a new connection (its retryable-write
rule), and the restarted database, which no longer knows the first attempt, may refuse the
retry as a duplicate of the document that attempt stored (seen under the fault test's load).
`stamps.insert` / `stamps.insert_all` (every insert of the server) answer success then and
still refuse a true duplicate."""

from __future__ import annotations

import asyncio
import os
import signal
import struct

import pytest
from pymongo import AsyncMongoClient
from pymongo.errors import BulkWriteError, DuplicateKeyError

from community_plus.platform import stamps
from community_plus.platform.embedded import EmbeddedDatabase
from community_plus.platform.repository import new_id
from community_plus.platform.testing import free_port


class DroppingProxy:
    """Forwards MongoDB wire messages; when armed, the reply to the next insert into
    `collection` is swallowed and both sides of that connection are closed."""

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.armed: str | None = None
        self.dropped = 0
        self.holding = asyncio.Event()  # set while a swallowed reply waits for `release`
        self.release = asyncio.Event()
        self.server: asyncio.AbstractServer | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._connection, "127.0.0.1", 0)
        return self.server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()

    @staticmethod
    async def _message(reader: asyncio.StreamReader) -> bytes:
        header = await reader.readexactly(4)
        (length,) = struct.unpack("<i", header)
        return header + await reader.readexactly(length - 4)

    async def _connection(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        up_r, up_w = await asyncio.open_connection(*self.upstream)
        try:
            while True:
                request = await self._message(client_r)
                drop = self.armed is not None and b"\x02insert\x00" in request and self.armed.encode() in request
                up_w.write(request)
                await up_w.drain()
                reply = await self._message(up_r)  # the database has done the write now
                if drop:
                    self.armed, self.dropped = None, self.dropped + 1
                    self.holding.set()
                    await self.release.wait()
                    self.holding.clear()
                    self.release.clear()
                    return
                client_w.write(reply)
                await client_w.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            return
        finally:
            for w in (client_w, up_w):
                w.close()


@pytest.fixture
async def proxied(tmp_path):
    db = EmbeddedDatabase(tmp_path / "db", port=free_port())
    db.start()
    proxy = DroppingProxy("127.0.0.1", db.port)
    port = await proxy.start()
    client = AsyncMongoClient(f"mongodb://127.0.0.1:{port}/?directConnection=true", retryWrites=True,
                              tz_aware=True, serverSelectionTimeoutMS=30000)
    try:
        yield db, proxy, client["retried"]
    finally:
        await client.close()
        await proxy.close()
        db.stop()


async def _landed_then_restarted(db: EmbeddedDatabase, proxy: DroppingProxy, collection: str, write) -> object:
    """Run `write` while the reply to its insert is held, the database killed and restarted."""
    proxy.armed = collection
    task = asyncio.create_task(write())
    await asyncio.wait_for(proxy.holding.wait(), 30)
    os.kill(db.process.pid, signal.SIGKILL)
    db.process.wait()
    db.start()  # same port, same data: the write is stored, the driver does not know it
    proxy.release.set()
    return await asyncio.wait_for(task, 60)


async def _outcome(write) -> str:
    try:
        await write()
        return "accepted"
    except (DuplicateKeyError, BulkWriteError):
        return "refused as a duplicate"


async def test_a_retried_insert_that_had_landed_is_not_a_duplicate(proxied):
    db, proxy, rdb = proxied
    coll = rdb["audit"]
    plain = {"_id": new_id(), "n": 1}
    unaided = await _landed_then_restarted(db, proxy, coll.name, lambda: _outcome(lambda: coll.insert_one(plain)))
    doc = {"_id": new_id(), "action": "create", "fields": ["name"], "nested": {"at": 1.5}}
    await _landed_then_restarted(db, proxy, coll.name, lambda: stamps.insert(coll, doc))
    assert proxy.dropped == 2
    assert await coll.count_documents({"_id": doc["_id"]}) == 1
    print(f"\nan insert retried across a restart after it landed: the driver alone {unaided}, "
          "stamps.insert accepted it (stored once)")
    with pytest.raises(DuplicateKeyError):  # a true duplicate (same id, other content) is refused
        await stamps.insert(coll, {**doc, "action": "delete"})


async def test_a_retried_batch_keeps_each_document_once(proxied):
    db, proxy, rdb = proxied
    coll = rdb["outbox"]
    for ordered in (False, True):
        docs = [{"_id": new_id(), "i": i, "ordered": ordered} for i in range(5)]
        await _landed_then_restarted(db, proxy, coll.name, lambda: stamps.insert_all(coll, docs, ordered=ordered))
        assert await coll.count_documents({"ordered": ordered}) == 5
    assert proxy.dropped == 2
    taken = await coll.find_one({"ordered": True})
    with pytest.raises(BulkWriteError):
        await stamps.insert_all(coll, [{"_id": new_id()}, {**taken, "i": -1}])
