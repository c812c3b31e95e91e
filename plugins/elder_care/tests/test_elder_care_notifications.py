"""Dispatching a care order notifies the care worker and the family through WeChat: the
messages really reach the (fake) WeChat server — template, recipient, fields, page — in
China time; a worker who gave no grant gets none (recorded, not retried)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from community_plus_sdk.clock import CHINA


async def test_dispatch_reaches_the_worker_and_the_family_on_wechat(care, wechat_sent):
    before = datetime.now(CHINA).replace(second=0, microsecond=0, tzinfo=None)
    order = await care.dispatched(category="bathing")
    assert order["state"] == "DISPATCHED"

    [to_worker] = await wechat_sent.wait_for(count=1, to=care.gw2)
    assert to_worker.template == "module_notice" and to_worker.template_id
    assert to_worker.title == "上门服务：助浴" and to_worker.state == "已派单"
    assert to_worker.page == "/pages/elder_care/visits" and to_worker.miniprogram_state == "formal"
    shown = datetime.strptime(to_worker.time, "%Y-%m-%d %H:%M")  # China time, not UTC
    assert before <= shown <= before + timedelta(minutes=2)

    [to_family] = await wechat_sent.wait_for(count=1, to=care.elder)  # the elder placed the order
    assert to_family.title == "护理员张护理将为您服务" and to_family.page == "/pages/elder_care/order"
    assert to_family.openid != to_worker.openid
    assert len(wechat_sent) == 2  # nobody else: dispatchers are told when an order is placed, none here


async def test_a_worker_without_a_grant_gets_no_message(care, wechat_sent):
    await wechat_sent.set_grants(care.gw2, 0)  # never accepted the subscription in the mini-program
    await care.dispatched()
    await wechat_sent.wait_for(count=1, to=care.elder)
    with pytest.raises(AssertionError, match="no_grant"):
        await wechat_sent.wait_for(count=1, to=care.gw2, timeout=0.5)
