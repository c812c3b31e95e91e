"""How `ctx.notify` fits a message into WeChat's subscription-message template.

A notice (a module's `module_notice`, and the core's `work_order_status`) fills the keywords
`thing1`, `phrase2`, `time3` of its template; WeChat refuses a message whose values break the
keyword kind's rules (errcode 47003, the message is lost), so they are fitted or refused
before the message is queued, never left for WeChat to reject:

- `title` → `thing1` (kind `thing`): at most 20 characters (`THING_MAX`). Whitespace runs
  become one space; a longer title is **cut** to 19 characters and `…` (`fit`), because titles
  often carry user text (a wish's title, an elder's name). An empty title raises ValueError.
- `state` → `phrase2` (kind `phrase`): 1 to 5 **Chinese characters** (`PHRASE_MAX`), e.g.
  `已受理`, `已完成`. A state is a word of your code, not user text, and a phrase cannot be
  cut (`…` is no Chinese character; half a word means something else): any other state
  raises ValueError at the `notify` call, so a test finds it.
- `time3` (kind `time`): the instant the message was queued (`ctx.now()`), shown
  `YYYY-MM-DD HH:MM` in **China time** (Asia/Shanghai, UTC+8) whatever the server's zone.

Each message spends one one-time grant of its recipient (the mini-program asks with
`wx.requestSubscribeMessage`); without one the outbox records `no_grant` and does not retry.

Example::

    >>> fit("请于周六上午九点前到社区食堂领取您预订的午餐", THING_MAX)
    '请于周六上午九点前到社区食堂领取您预订…'
    >>> notice_state("已送达")
    '已送达'
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from .clock import china_time_text

THING_MAX = 20
PHRASE_MAX = 5
ELLIPSIS = "…"
_PHRASE_RE = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff]{1,%d}$" % PHRASE_MAX)


def fit(text: str, limit: int) -> str:
    """`text` with whitespace runs collapsed, cut to `limit` characters with an ellipsis when longer."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + ELLIPSIS


def notice_title(title: str) -> str:
    """`title` fitted to `thing1` (cut to 20 characters); ValueError when it is empty."""
    fitted = fit(title, THING_MAX)
    if not fitted:
        raise ValueError("notify: title is empty (WeChat refuses an empty thing1)")
    return fitted


def notice_state(state: str) -> str:
    """`state` as `phrase2`: 1–5 Chinese characters, else ValueError (never cut)."""
    if not _PHRASE_RE.match(state):
        raise ValueError(f"notify: state {state!r} must be 1 to {PHRASE_MAX} Chinese characters "
                         "(WeChat's phrase keyword), e.g. 已受理")
    return state


def module_notice_data(title: str, state: str, when: datetime) -> dict[str, Any]:
    """The template data of one notice (`thing1`, `phrase2`, `time3`), fitted as above."""
    return {"thing1": {"value": notice_title(title)}, "phrase2": {"value": notice_state(state)},
            "time3": {"value": china_time_text(when)}}
