"""Per-account login protection, on top of the per-IP rate limit.

Back-off: after `FREE_FAILURES` wrong passwords in a row an account is locked for one minute,
doubling with every further wrong password up to 30 minutes. While locked, every attempt —
even with the right password — answers RATE_LIMITED (`reason: ACCOUNT_LOCKED`,
`retryAfter` seconds) without checking the password; the lock is audited, and ends by itself
or when an admin unlocks the account (`unlockStaff`) or a reset code is redeemed. A right
password resets the count.

TOTP (RFC 6238, pyotp): an admin may enrol (`startTotpEnrolment` gives a provisioning URI for
an authenticator app's QR code), confirm with a first code, and from then on must send
`totpCode` at login (`reason: TOTP_REQUIRED` when missing, `TOTP_INVALID` when wrong; a wrong
code counts as a failure too).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pyotp

from community_plus.platform.errors import RateLimited, Unauthenticated
from community_plus.platform.repository import new_id
from community_plus.domains.staff.repository import StaffRepositories

if TYPE_CHECKING:
    from community_plus.domains.platform import Platform

FREE_FAILURES = 5
FIRST_LOCK = timedelta(minutes=1)
MAX_LOCK = timedelta(minutes=30)
ISSUER = "社区+ Community+"


def lock_for(failures: int) -> timedelta | None:
    """How long the `failures`-th wrong password in a row locks the account, if at all."""
    if failures < FREE_FAILURES:
        return None
    return min(FIRST_LOCK * 2 ** (failures - FREE_FAILURES), MAX_LOCK)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def locked_message(seconds: int) -> RateLimited:
    minutes = max(1, math.ceil(seconds / 60))
    return RateLimited(f"密码错误次数过多，账号已临时锁定，请{minutes}分钟后再试，或请管理员解锁 "
                       f"(too many wrong passwords: the account is locked, retry after {seconds} s or ask an admin)",
                       retry_after=seconds, reason="ACCOUNT_LOCKED")


class LoginGuard:
    def __init__(self, platform: Platform, request_id: str | None = None) -> None:
        self.p = platform
        self.request_id = request_id

    async def check_not_locked(self, user: dict[str, Any]) -> None:
        until = user.get("lockedUntil")
        if until is not None:
            left = (_aware(until) - datetime.now(UTC)).total_seconds()
            if left > 0:
                raise locked_message(math.ceil(left))

    async def failed(self, user: dict[str, Any]) -> None:
        repos = await StaffRepositories.of(self.p)
        now = datetime.now(UTC)
        after = await repos.staff.record_failure(user["_id"], now)
        lock = lock_for(int((after or {}).get("loginFailures", 0)))
        if lock is not None:
            await repos.staff.lock(user["_id"], now + lock)
            await self.p.audit.append({
                "_id": new_id(), "at": now, "action": "lock_account", "entity": "staff", "entityId": user["_id"],
                "communityId": user.get("communityId"), "regionPath": [], "fields": ["lockedUntil"],
                "actorId": None, "actorRole": None, "actorName": None, "requestId": self.request_id,
                "details": {"failures": after["loginFailures"], "seconds": int(lock.total_seconds())}})

    async def succeeded(self, user: dict[str, Any], totp_code: str | None) -> None:
        """After a right password: the second factor if enrolled, then the count is cleared."""
        secret = user.get("totpSecret")
        if secret:
            if not totp_code:
                raise Unauthenticated("请输入动态验证码 (enter the code from your authenticator app)",
                                      reason="TOTP_REQUIRED")
            if not pyotp.TOTP(secret).verify(totp_code.strip(), valid_window=1):
                await self.failed(user)
                raise Unauthenticated("动态验证码错误 (wrong authenticator code)", reason="TOTP_INVALID")
        if user.get("loginFailures") or user.get("lockedUntil"):
            await (await StaffRepositories.of(self.p)).staff.clear_failures(user["_id"])


def new_totp_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, username: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def totp_ok(secret: str, code: str) -> bool:
    return bool(code) and pyotp.TOTP(secret).verify(code.strip(), valid_window=1)
