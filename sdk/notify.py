"""How `ctx.notify` fits a message into WeChat's subscription-message template.

A module notice uses the `module_notice` template (keywords `thing1`, `phrase2`, `time3`):

- `title` → `thing1`: at most 20 characters (`THING_MAX`);
- `state` → `phrase2`: at most 5 characters, Chinese only, e.g. `已受理`, `已完成` (`PHRASE_MAX`);
- `time3`: the time the message was queued, `YYYY-MM-DD HH:MM` in China time.

WeChat refuses a message whose values are longer (errcode 47003), so longer text is cut, never
refused: to `limit - 1` characters followed by `…` (`fit`). Keep titles short and states to
a word, so nothing needs cutting. Each message needs a one-time grant of the user (the
mini-program asks with `wx.requestSubscribeMessage`); without one the outbox records
`no_grant` and does not retry.

Example: ``fit("请于周六上午九点前到社区食堂领取您预订的午餐", THING_MAX)`` →
``"请于周六上午九点前到社区食堂领取您预订…"`` (20 characters).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .clock import china_time_text

THING_MAX = 20
PHRASE_MAX = 5
ELLIPSIS = "…"


def fit(text: str, limit: int) -> str:
    """`text` stripped, cut to `limit` characters with an ellipsis when longer."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + ELLIPSIS


def module_notice_data(title: str, state: str, when: datetime) -> dict[str, Any]:
    """The template data of one module notice."""
    return {"thing1": {"value": fit(title, THING_MAX)}, "phrase2": {"value": fit(state, PHRASE_MAX)},
            "time3": {"value": china_time_text(when)}}
