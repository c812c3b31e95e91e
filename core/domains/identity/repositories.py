"""The repositories of resident identity (WeChat identities, accounts, binding requests, rate
limits), created once per platform. Guardianships are family's (`family/repository.py`)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

from community_plus.platform import db as dbm
from community_plus.platform.repository import Repository
from community_plus.domains.identity.binding_requests_repository import BindingRequestRepository
from community_plus.domains.identity.repository import WeChatIdentityRepository
from community_plus.platform.rate_limit_counters import RateLimitRepository
from community_plus.domains.identity.accounts_repository import ResidentAccountRepository

if TYPE_CHECKING:
    from community_plus.domains.platform import Platform

EXTRAS_KEY = "identity_repositories"


@dataclass(frozen=True, slots=True)
class IdentityRepositories:
    identities: WeChatIdentityRepository
    accounts: ResidentAccountRepository
    binding_requests: BindingRequestRepository
    rate_limits: RateLimitRepository

    @classmethod
    def of(cls, platform: Platform) -> IdentityRepositories:
        """The platform's instance (created on first use, kept in `platform.parts`)."""
        found = platform.parts.get(EXTRAS_KEY)
        if found is None:
            db = platform.db
            found = platform.parts[EXTRAS_KEY] = cls(
                WeChatIdentityRepository(db), ResidentAccountRepository(db), BindingRequestRepository(db),
                RateLimitRepository(db))
        return found

    def all(self) -> list[Repository]:
        return [getattr(self, f.name) for f in fields(self)]

    async def ensure_indexes(self) -> None:
        await dbm.ensure_indexes(self.identities.db, {r.collection: r.indexes for r in self.all() if r.indexes})
