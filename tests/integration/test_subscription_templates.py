"""`subscriptionTemplates`: the template ids mini-programs request with wx.requestSubscribeMessage,
read from CP_WECHAT_TEMPLATES (malformed pairs are ignored, never an error)."""

from __future__ import annotations

import pytest

from community_plus.app import create_app

QUERY = "{ subscriptionTemplates { key templateId } }"


@pytest.fixture
def settings(settings):
    messy = " work_order_status = TPL_WO ,module_notice=TPL_MOD,junk,=x,y="
    return settings.model_copy(update={"wechat_templates": messy})


async def test_configured_templates_are_listed_for_anyone(gql, world):
    anonymous = await gql.ok(QUERY)
    assert anonymous["subscriptionTemplates"] == [{"key": "module_notice", "templateId": "TPL_MOD"},
                                                  {"key": "work_order_status", "templateId": "TPL_WO"}]
    token = await gql.login("admin001")
    assert (await gql.ok(QUERY, token=token)) == anonymous


async def test_no_templates_configured_is_an_empty_list(aiohttp_client, settings):
    client = await aiohttp_client(create_app(settings.model_copy(update={"wechat_templates": None})))
    resp = await client.post("/graphql", json={"query": QUERY})
    assert resp.status == 200
    assert await resp.json() == {"data": {"subscriptionTemplates": []}}
