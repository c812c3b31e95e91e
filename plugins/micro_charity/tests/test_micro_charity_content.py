"""The content-check decision without a server: a fake ModuleContext scripts WeChat's
verdicts (the server returns 'pass' when no WeChat app is configured)."""

from __future__ import annotations

from typing import Any

import pytest

from community_plus_sdk import ModuleContext, UserInputError
from micro_charity.content import screen_text
from micro_charity.wish_rules import initial_state


class ScriptedContext(ModuleContext):
    """Answers `check_content` from a keyword script; every other capability is unused here."""

    module = "micro_charity"
    caller = None
    community_id = "c1"
    request_id = None

    def __init__(self, script: dict[str, Any]) -> None:
        self.script = script
        self.checked: list[tuple[str, int]] = []

    async def check_content(self, text: str, scene: int = 2) -> str:
        self.checked.append((text, scene))
        for word, verdict in self.script.items():
            if word in text:
                if isinstance(verdict, Exception):
                    raise verdict
                return verdict
        return "pass"

    def _unused(self, *args: Any, **kwargs: Any) -> Any:
        raise AssertionError("not used by the content check")

    collection = for_community = unscoped_collection = settings = require_caller = _unused
    has_permission = require_permission = resident = audit = transaction = _unused
    attach_files = release_files = notify = grid_workers = _unused


async def test_pass_review_risky_and_failures():
    ctx = ScriptedContext({"代开发票": "review", "赌博": "risky", "超时": TimeoutError("wechat down"),
                           "奇怪": "unknown-suggest"})
    texts = {"input.title": "需要一个书包", "input.description": "孩子上学用", "input.alias": None}
    assert await screen_text(ctx, texts) == "pass"
    assert [t for t, _ in ctx.checked] == ["需要一个书包", "孩子上学用"]  # empty fields are not sent
    assert {scene for _, scene in ctx.checked} == {3}

    assert await screen_text(ctx, {**texts, "input.description": "可以代开发票"}) == "review"
    # a check that fails, or answers something unknown, sends the text to a person (fail safe)
    assert await screen_text(ctx, {**texts, "input.description": "超时了"}) == "review"
    assert await screen_text(ctx, {**texts, "input.description": "奇怪的回答"}) == "review"

    with pytest.raises(UserInputError) as refused:
        await screen_text(ctx, {"input.title": "赌博", "input.description": "代开发票", "input.alias": "赌博达人"})
    assert set(refused.value.fields) == {"input.title", "input.alias"}  # each risky field is named
    assert refused.value.code == "BAD_USER_INPUT"


def test_wish_state_from_verdict_and_setting():
    assert initial_state("pass", require_approval=False) == "open"
    assert initial_state("review", require_approval=False) == "pending_review"
    assert initial_state("pass", require_approval=True) == "pending_review"
    assert initial_state("review", require_approval=True) == "pending_review"
