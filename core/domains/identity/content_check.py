"""WeChat's content check (msg_sec_check) of a module's user text, as the calling user: WeChat
wants the caller's openid, which only the identity domain knows."""

from __future__ import annotations

from typing import Any

from community_plus.domains.identity.repositories import IdentityRepositories


async def check_content(ctx: Any, text: str, scene: int) -> str:
    """msg_sec_check for a module's user text, as the calling user (needs their openid)."""
    platform = ctx.platform
    caller = ctx.caller
    identity = await IdentityRepositories.of(platform).identities.by_user(caller.user_id) if caller else None
    if identity is None or not platform.settings.wechat_secret:
        return "review" if caller and caller.role == "resident" else "pass"
    result = await platform.wechat.check_content(identity["openid"], text[:2500], scene)
    return result.suggest
