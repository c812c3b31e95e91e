"""Content check of text shown to other residents (WeChat msg_sec_check through the SDK).

`screen_text` checks each field on its own so a refusal names the offending field:
'risky' text is refused with BAD_USER_INPUT, 'review' (or a check that could not run) sends
the item to an admin's review queue, 'pass' lets it through.
"""

from __future__ import annotations

import asyncio
import logging

from community_plus_sdk import ModuleContext, UserInputError

log = logging.getLogger("micro_charity.content")

PASS, REVIEW, RISKY = "pass", "review", "risky"
SCENE_FORUM = 3  # msg_sec_check scene: a post other users read


async def _verdict(ctx: ModuleContext, text: str, scene: int) -> str:
    try:
        verdict = await ctx.check_content(text, scene)
    except Exception as exc:  # WeChat unreachable or refusing: a person decides instead
        log.warning("content check failed; sending to review: %s", exc)
        return REVIEW
    return verdict if verdict in (PASS, REVIEW, RISKY) else REVIEW


async def screen_text(ctx: ModuleContext, texts: dict[str, str | None], scene: int = SCENE_FORUM) -> str:
    """Check `texts` (field path → text); 'pass' or 'review', or raise for 'risky' text."""
    items = [(path, text) for path, text in texts.items() if text and text.strip()]
    verdicts = await asyncio.gather(*(_verdict(ctx, text, scene) for _, text in items))
    risky = {path: "内容不合规，请修改后再提交 (content refused by the content check: please rephrase)"
             for (path, _), verdict in zip(items, verdicts, strict=True) if verdict == RISKY}
    if risky:
        raise UserInputError(risky)
    return REVIEW if REVIEW in verdicts else PASS
