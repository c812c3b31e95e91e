"""Work-order notifications delivered through the outbox to the fake WeChat server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from community_plus_sdk.clock import CHINA

from community_plus.domains.notifications.service import sender_for
from community_plus.domains.notifications.service import deliver_due
from test_wechat_login import BIND, resident_with_unique_phone, wechat_login
from wechat_fixtures import *  # noqa: F403
from wechat_fixtures import TEMPLATE


@pytest.mark.no_background_jobs  # the test delivers the outbox itself: the app's loop would race it
async def test_state_changes_reach_wechat_and_43101_is_recorded(gql, fake, world, platform):
    assert platform.settings.background_jobs is False
    platform.settings.__dict__["wechat_templates"] = f"work_order_status={TEMPLATE}"
    community = world["communities"][0]
    resident, phone = await resident_with_unique_phone(platform, community["_id"])
    fake.add_user("bob", phone=phone)
    login = await wechat_login(gql, fake.issue_code("bob"))
    bound = (await gql.ok(BIND, {"code": fake.issue_phone_code("bob")}, token=login["accessToken"]))["bindPhone"]
    token = bound["auth"]["accessToken"]
    order = (await gql.ok('mutation { submitWorkOrder(input: {description: "楼道漏水"}) { id } }', token=token))
    identity = await platform.db["wechat_identities"].find_one({})
    openid = identity["openid"]
    fake.grant_subscription(openid, TEMPLATE, times=1)  # one grant: one message
    admin = await gql.login(f"admin{community['_id'][-3:]}")
    await gql.ok("mutation($id: ID!) { acceptWorkOrder(id: $id) { state } }", {"id": order["submitWorkOrder"]["id"]},
                 token=admin)
    sender = sender_for(platform)
    assert type(sender).__name__ == "WeChatSender"
    assert await deliver_due(platform, sender) == 2
    assert len(fake.sent_messages) == 1
    sent = fake.sent_messages[0]
    assert sent["touser"] == openid and sent["template_id"] == TEMPLATE
    assert sent["data"]["thing1"]["value"] == "问题上报" and sent["data"]["phrase2"]["value"] == "已提交"
    shown = datetime.strptime(sent["data"]["time3"]["value"], "%Y-%m-%d %H:%M").replace(tzinfo=CHINA)
    assert abs(shown - datetime.now(UTC)) < timedelta(minutes=2)  # China time (UTC+8), not the server's UTC
    states = sorted([m["state"] async for m in platform.outbox.coll.find({"recipientUserId": identity["userId"]})])
    assert states == ["no_grant", "sent"]  # the second message found no grant left: recorded, not retried
