"""Login codes (what `wx.login()` returns) and phone codes (the phone-number button's
`e.detail.code`): each works once. Minted codes expire after 5 minutes; self-describing codes
(`user:NAME:NONCE`, `phone:NAME:NONCE`) name their test user and never expire, so a client
test can make one up without asking the fake. Reserved codes always fail with their errcode."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from .clock import FakeClock
from .faults import WeChatFault

CODE_TTL = 300  # login and phone codes live 5 minutes

# Reserved codes: exchanging them always fails with the given errcode (never consumed).
CODE_RISKY_USER = "wx-fake-40226"
CODE_RATE_LIMITED = "wx-fake-45011"
CODE_BUSY = "wx-fake-busy"
RESERVED_CODES = {CODE_RISKY_USER: 40226, CODE_RATE_LIMITED: 45011, CODE_BUSY: -1}
SELF_DESCRIBING = re.compile(r"^(user|phone):([A-Za-z0-9_.-]{1,64}):[^:]{1,128}$")


@dataclass
class IssuedCode:
    user: str
    issued_at: float
    used: bool = False


class CodeBook:
    """The codes of one kind: `prefix` is the self-describing kind (`user` or `phone`),
    `mint` the first character of minted codes, `reuse_errcode` what a second use answers."""

    def __init__(self, clock: FakeClock, prefix: str, mint: str, reuse_errcode: int) -> None:
        self.clock = clock
        self.prefix, self.mint, self.reuse_errcode = prefix, mint, reuse_errcode
        self._minted: dict[str, IssuedCode] = {}
        self._used_self_describing: set[str] = set()

    def issue(self, name: str) -> str:
        code = self.mint + secrets.token_hex(15)
        self._minted[code] = IssuedCode(name, self.clock.now())
        return code

    def consume(self, code: str) -> str:
        """Mark a code used and return its user: minted codes expire, self-describing ones don't."""
        found = self._minted.get(code)
        if found is not None:
            if found.used:
                raise WeChatFault(self.reuse_errcode)
            if self.clock.now() - found.issued_at > CODE_TTL:
                raise WeChatFault(40029, "(code expired)")
            found.used = True
            return found.user
        m = SELF_DESCRIBING.match(code)
        if m is None or m.group(1) != self.prefix:
            raise WeChatFault(40029)
        if code in self._used_self_describing:
            raise WeChatFault(self.reuse_errcode)
        self._used_self_describing.add(code)
        return m.group(2)
