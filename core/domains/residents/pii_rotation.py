"""Re-encrypt residents' ID and phone numbers under the current PII key.

Put the new key first in `CP_PII_KEY` (`k2:<new>,k1:<old>`), then run `community-plus pii
rotate-key`. Rows still sealed with an older key are re-sealed in batches; each row is
updated only if it is still under the old key (compare-and-set), so concurrent edits win and
an interrupted run simply resumes where it stopped. Lookups work during the rotation: blind
indexes are searched under every configured key.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from community_plus.domains.residents.repository import SENSITIVE


async def remaining(platform: Any) -> int:
    return await platform.residents.count_sealed_under_older_keys()


async def rotate_pii(platform: Any, batch: int = 200, progress: Callable[[int], None] | None = None,
                     max_batches: int | None = None) -> int:
    """Re-seal rows under older keys; returns how many rows were re-sealed."""
    repo = platform.residents
    done = batches = 0
    batches_of = repo.sealed_under_older_keys(batch)
    try:
        async for rows in batches_of:
            done += await repo.reseal_many([(row, repo.seal({field: repo.reveal(row, field) for field in SENSITIVE}))
                                            for row in rows])
            batches += 1
            if progress:
                progress(len(rows))
            if max_batches is not None and batches >= max_batches:
                break
    finally:
        await batches_of.aclose()  # closes the cursor when the run stops early
    return done
