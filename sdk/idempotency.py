"""The one idempotency-key rule of Community+, for the core and every module.

A mobile client that retries a mutation (a flaky network, a 503 with `Retry-After`) sends
the same key with every attempt of one logical action:

- as the `Idempotency-Key` HTTP header, which works for **every** mutation of the core and of
  every module (the server replays the first attempt's answer), or
- as an `idempotencyKey` input field where a mutation declares one (`submitWorkOrder`,
  `rateWorkOrder`, `placeMealOrder`…), which ties the key to the record it created.

A key is 1–100 characters of letters, digits and `_ . : -` (a UUID fits), is scoped to the
caller, and is remembered for 24 hours. The same key with the same request returns the first
result; with a different request it is CONFLICT (`reason: IDEMPOTENCY_KEY_REUSED`).

Example::

    from community_plus_sdk.idempotency import key_problem

    if problem := key_problem(inp.idempotency_key):
        raise UserInputError({"input.idempotencyKey": problem})
"""

from __future__ import annotations

import re

KEY_PATTERN = re.compile(r"[A-Za-z0-9_.:-]{1,100}")
RETENTION_HOURS = 24
KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
KEY_RULE = "应为1到100位字母、数字或 _.:- (1–100 letters, digits or _.:-)"


def key_problem(key: str | None) -> str | None:
    """Why `key` is not a valid idempotency key, or None (None keys are fine: no retry safety)."""
    if key is None or KEY_PATTERN.fullmatch(key):
        return None
    return KEY_RULE
