"""Files follow the visibility of the record they are attached to.

A work order's photos: whoever may see the work order (its grid's workers, its resident, the
community's administrators) — not the workers of another grid. A module row's files: whoever
may read that row. Unattached uploads: the uploader and administrators only.
"""

from __future__ import annotations

from media_fixtures import jpeg_with_gps, upload_form
from workorder_fixtures import SUBMIT, resident1, resident_token  # noqa: F401

FILE = "query($id: ID!) { file(id: $id) { id state url } }"
SET = "mutation($c: ID!, $m: String!, $e: Boolean) { setModuleEnabled(communityId: $c, module: $m, enabled: $e) { enabled } }"


async def upload(client, token: str) -> str:
    resp = await client.post("/upload", data=upload_form(jpeg_with_gps((160, 120)), "p.jpg", "photo"),
                             headers={"Authorization": f"Bearer {token}"})
    assert resp.status == 200, await resp.text()
    return (await resp.json())["id"]


async def grid_workers(platform, community_id: str, grid_id: str) -> tuple[str, str]:
    """(username of a worker of `grid_id`, username of a worker of another grid of the community)."""
    workers = await platform.users.coll.find({"role": "grid_worker", "communityId": community_id}).to_list()
    mine = next(u["username"] for u in workers if grid_id in u.get("gridIds", []))
    other = next(u["username"] for u in workers if grid_id not in u.get("gridIds", []))
    return mine, other


async def test_work_order_photos_are_seen_by_who_sees_the_order(client, gql, world, platform, resident1):
    token = resident1["token"]
    photo = await upload(client, token)
    order = (await gql.ok(SUBMIT, {"input": {"description": "楼道灯坏了", "attachments": [photo]}},
                          token=token))["submitWorkOrder"]
    community = world["communities"][0]["_id"]
    mine, other = await grid_workers(platform, community, order["gridId"])
    for reader in (mine, "admin001", "admin"):
        assert (await gql.ok(FILE, {"id": photo}, token=await gql.login(reader)))["file"]["url"], reader
    assert (await gql.ok(FILE, {"id": photo}, token=token))["file"]["state"] == "ATTACHED"
    for stranger in (other, "admin002", "gw0021"):
        await gql.error("NOT_FOUND", FILE, {"id": photo}, token=await gql.login(stranger))
    neighbour = await platform.residents.coll.find_one({"communityId": community, "relation": "self",
                                                        "_id": {"$ne": resident1["doc"]["_id"]}})
    await gql.error("NOT_FOUND", FILE, {"id": photo}, token=await resident_token(platform, neighbour))


async def test_unattached_uploads_are_the_uploaders_and_the_administrators(client, gql, world, platform,
                                                                            resident1):
    community = world["communities"][0]["_id"]
    mine, other = await grid_workers(platform, community, resident1["doc"]["gridId"])
    photo = await upload(client, resident1["token"])
    for reader in (mine, other):  # not even the worker of the uploader's own grid
        await gql.error("NOT_FOUND", FILE, {"id": photo}, token=await gql.login(reader))
    assert (await gql.ok(FILE, {"id": photo}, token=await gql.login("admin001")))["file"]["url"]
    assert (await gql.ok(FILE, {"id": photo}, token=resident1["token"]))["file"]["url"]
    own = await upload(client, await gql.login(mine))
    await gql.error("NOT_FOUND", FILE, {"id": own}, token=await gql.login(other))
    assert (await gql.ok(FILE, {"id": own}, token=await gql.login(mine)))["file"]["url"]


async def test_module_row_files_follow_the_rows_read_rules(client, gql, world, platform):
    community = world["communities"][0]["_id"]
    admin = await gql.login("admin001")
    await gql.ok(SET, {"c": community, "m": "test_wishes", "e": True}, token=admin)
    owner, neighbour = await platform.residents.coll.find({"communityId": community, "relation": "self"}) \
        .limit(2).to_list()
    photo = await upload(client, admin)  # staff file a wish for the resident, with their photo
    wish = (await gql.ok('mutation($r: ID, $p: ID) { createWish(input: {text: "想要轮椅", residentId: $r, photo: $p}) '
                         '{ id photo } }', {"r": owner["_id"], "p": photo}, token=admin))["createWish"]
    assert wish["photo"] == photo
    owner_token = await resident_token(platform, owner)
    assert (await gql.ok(FILE, {"id": photo}, token=owner_token))["file"]["url"]  # the row is theirs
    await gql.error("NOT_FOUND", FILE, {"id": photo}, token=await resident_token(platform, neighbour))
    await gql.error("NOT_FOUND", FILE, {"id": photo}, token=await gql.login("gw0011"))  # may not read wishes
    # a module switched off hides its rows' files too (administrators still manage them)
    await gql.ok(SET, {"c": community, "m": "test_wishes", "e": False}, token=admin)
    await gql.error("NOT_FOUND", FILE, {"id": photo}, token=owner_token)
    assert (await gql.ok(FILE, {"id": photo}, token=admin))["file"]["url"]
