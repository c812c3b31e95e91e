"""Photos on work orders: uploaded with wx.uploadFile, attached on submit, readable by whoever
may see the order, refused to others, and never attachable twice."""

from __future__ import annotations

from media_fixtures import fetch, jpeg_with_gps, upload_form
from workorder_fixtures import SUBMIT, resident1  # noqa: F401

FILE = "query($id: ID!) { file(id: $id) { id state url } }"


async def _upload(client, token: str) -> str:
    resp = await client.post("/upload", data=upload_form(jpeg_with_gps(), "lamp.jpg", "photo"),
                             headers={"Authorization": f"Bearer {token}"})
    assert resp.status == 200, await resp.text()
    return (await resp.json())["id"]


async def test_work_order_photos(client, gql, world, platform, resident1):
    token = resident1["token"]
    photo = await _upload(client, token)
    order = (await gql.ok(SUBMIT, {"input": {"description": "路灯坏了", "attachments": [photo]}}, token=token))["submitWorkOrder"]
    doc = await platform.db["files"].find_one({"_id": photo})
    assert doc["attachedTo"]["entity"] == "workOrder" and doc["attachedTo"]["id"] == order["id"]
    # the community admin (who sees the order) can read the photo; another community's admin cannot
    admin = await gql.login("admin001")
    url = (await gql.ok(FILE, {"id": photo}, token=admin))["file"]["url"]
    status, content_type, body = await fetch(url if url.startswith("http") else str(client.make_url(url)))
    assert status == 200 and content_type == "image/jpeg" and body[:2] == b"\xff\xd8"
    await gql.error("NOT_FOUND", FILE, {"id": photo}, token=await gql.login("admin002"))
    # a file already attached cannot be attached to a second order; nothing is created then
    before = await platform.work_orders.coll.count_documents({})
    err = await gql.error("BAD_USER_INPUT", SUBMIT, {"input": {"description": "再报一次", "attachments": [photo]}},
                          token=token)
    assert err["extensions"]["fields"][0]["path"] == "input.attachments.0"  # the input path, not media's
    assert await platform.work_orders.coll.count_documents({}) == before
    # the worker adds a photo while resolving
    for action in ("acceptWorkOrder", "assignWorkOrder"):
        await gql.ok(f'mutation($id: ID!) {{ {action}(id: $id) {{ state }} }}', {"id": order["id"]}, token=admin)
    worker_doc = await platform.work_orders.coll.find_one({"_id": order["id"]})
    worker = await gql.login(next(u["username"] for u in [await platform.users.get(worker_doc["assigneeId"])]))
    await gql.ok('mutation($id: ID!) { startWorkOrder(id: $id) { state } }', {"id": order["id"]}, token=worker)
    after_photo = await _upload(client, worker)
    done = await gql.ok('mutation($id: ID!, $f: [ID!]) { resolveWorkOrder(id: $id, note: "已更换灯泡", attachments: $f) { state } }',
                        {"id": order["id"], "f": [after_photo]}, token=worker)
    assert done["resolveWorkOrder"]["state"] == "RESOLVED"
    assert (await platform.db["files"].find_one({"_id": after_photo}))["attachedTo"]["id"] == order["id"]
    assert (await gql.ok(FILE, {"id": after_photo}, token=token))["file"]["url"]  # the resident sees it too
