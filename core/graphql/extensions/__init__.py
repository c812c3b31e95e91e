"""Strawberry schema extensions run around every operation: limits, input checks,
persisted queries and `Idempotency-Key`."""
