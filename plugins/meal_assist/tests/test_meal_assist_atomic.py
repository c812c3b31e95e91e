"""`atomically`: write conflicts and lost compare-and-sets rerun the transaction; other errors
pass through; persistent conflicts end as CONFLICT/BUSY (no database needed)."""

from __future__ import annotations

import pytest

from community_plus_sdk import ConflictError
from meal_assist import common
from meal_assist.common import Raced, atomically


class WriteConflict(Exception):
    """Looks like the driver's error: labelled transient."""

    def has_error_label(self, label: str) -> bool:
        return label == "TransientTransactionError"


class FakeContext:
    def __init__(self, failures: list[BaseException]) -> None:
        self.failures = failures
        self.calls = 0

    async def transaction(self, fn):
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return await fn(self)


async def work(tx):
    return "committed"


async def test_conflicts_are_retried_until_they_commit():
    ctx = FakeContext([WriteConflict(), Raced(), WriteConflict()])
    assert await atomically(ctx, work) == "committed" and ctx.calls == 4


async def test_other_errors_are_not_retried():
    ctx = FakeContext([ConflictError("满了", reason="CAPACITY_FULL")])
    with pytest.raises(ConflictError):
        await atomically(ctx, work)
    assert ctx.calls == 1


async def test_persistent_conflicts_answer_busy(monkeypatch):
    monkeypatch.setattr(common, "ATOMIC_PATIENCE", 0.0)
    ctx = FakeContext([WriteConflict()] * 3)
    with pytest.raises(ConflictError) as raised:
        await atomically(ctx, work)
    assert raised.value.extensions["reason"] == "BUSY"
