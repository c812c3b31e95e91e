"""`msg_sec_check` (version 2): user text is checked for a user active in the last 2 hours;
the verdict is the worst of the content model's (always `pass` here) and the flagged
keywords the text contains, each listed in `detail`."""

from __future__ import annotations

import secrets
from typing import Any

from .faults import WeChatFault

ACTIVE_WINDOW = 7200  # msg_sec_check needs a user active in the last 2 hours
MAX_CONTENT = 2500
SCENES = (1, 2, 3, 4)
SUGGEST_RANK = {"pass": 0, "review": 1, "risky": 2}


def check_content(body: dict[str, Any], known_user: bool, last_login: float | None, now: float,
                  flagged: dict[str, tuple[str, int]]) -> dict[str, Any]:
    """The answer to a `msg_sec_check` body from `known_user` (the openid's user exists)."""
    if body.get("version") != 2:
        raise WeChatFault(40097, "version must be 2")
    if not known_user:
        raise WeChatFault(40003)
    scene = body.get("scene")
    if scene not in SCENES or isinstance(scene, bool):
        raise WeChatFault(40129)
    content = body.get("content")
    if not isinstance(content, str) or not content:
        raise WeChatFault(47003, "content is empty")
    if len(content) > MAX_CONTENT:
        raise WeChatFault(47003, f"content longer than {MAX_CONTENT} characters")
    if last_login is None or now - last_login > ACTIVE_WINDOW:
        raise WeChatFault(61010)
    detail: list[dict[str, Any]] = [{"strategy": "content_model", "errcode": 0, "suggest": "pass",
                                     "label": 100, "prob": 90}]
    suggest, label = "pass", 100
    for keyword, (kw_suggest, kw_label) in flagged.items():
        if keyword in content:
            detail.append({"strategy": "keyword", "errcode": 0, "suggest": kw_suggest, "label": kw_label,
                           "level": 20, "keyword": keyword})
            if SUGGEST_RANK[kw_suggest] > SUGGEST_RANK[suggest]:
                suggest, label = kw_suggest, kw_label
    return {"errcode": 0, "errmsg": "ok", "result": {"suggest": suggest, "label": label},
            "detail": detail, "trace_id": secrets.token_hex(12)}
