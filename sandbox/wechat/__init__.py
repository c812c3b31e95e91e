"""A local fake of the WeChat server APIs Community+ uses (see docs/wechat.md).

Tests and the sandbox run it instead of `https://api.weixin.qq.com`::

    app = create_fake_wechat("wx1234567890abcdef", "s3cret")
    fake = app[FAKE_WECHAT]
    fake.add_user("alice", phone="13812345678")
    code = fake.issue_code("alice")          # what wx.login() would return
"""

from __future__ import annotations

from .app import FAKE_WECHAT, create_fake_wechat
from .clock import FakeClock
from .state import (CODE_BUSY, CODE_RATE_LIMITED, CODE_RISKY_USER, FakeUser, FakeWeChat, WeChatFault)

__all__ = ["CODE_BUSY", "CODE_RATE_LIMITED", "CODE_RISKY_USER", "FAKE_WECHAT", "FakeClock", "FakeUser",
           "FakeWeChat", "WeChatFault", "create_fake_wechat"]
