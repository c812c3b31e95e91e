"""`open_domains(platform)`: the domains opened on a database.

The core repositories' indexes; the repositories of `hotline` (12349 便民热线) and `linkage`
(联动指挥) registered on the platform with their indexes; then the data upgrades not run yet
(`platform/upgrades.py`). Called once from `create_app`'s database context, and by the CLI
commands and the sandbox that open the database.
"""

from __future__ import annotations

from community_plus.domains.hotline.repository import (HotlineCallRepository, ResidentAccountsRepository,
    ReturnVisitRepository)
from community_plus.domains.linkage.repository import (DepartmentRepository, HopRepository, LinkageOrderRepository,
    LinkageStaffRepository)
from community_plus.platform import db as dbm
from community_plus.domains.platform import Platform
from community_plus.platform.upgrades import UpgradeRepository, run_once


# Unique indexes that did not start with the shard key (platform/sharding.py), replaced by ones
# that do or, for ID numbers, by claims in `unique_values`; dropped once the claims are stored.
RETIRED_INDEXES = {"residents": ["idNumberHash_unique"], "work_orders": ["idempotency_unique"],
                   "guardianships": ["guardianResidentId_1_wardResidentId_1"],
                   "hotline_return_visits": ["one_visit_per_order", "communityId_1_workOrderId_1"], "*": ["idempotency_stamp"]}


async def _retire_indexes(platform: Platform, domain_repos) -> int:
    """Drop `RETIRED_INDEXES`, then create what they had kept from being created (an index with
    the same key under another name); how many were dropped."""
    dropped = await dbm.drop_retired_indexes(platform.db, RETIRED_INDEXES)
    if dropped:
        for repo in [*platform.repositories(), *domain_repos]:
            await dbm.ensure_indexes(platform.db, {repo.collection: repo.indexes})
    return dropped


async def open_domains(platform: Platform) -> None:
    """Create the indexes, register the domains' repositories and run the pending upgrades."""
    await dbm.ensure_indexes(platform.db, {r.collection: r.indexes for r in platform.repositories()})
    repos = {"hotline.calls": HotlineCallRepository(platform.db), "hotline.visits": ReturnVisitRepository(platform.db),
             "hotline.accounts": ResidentAccountsRepository(platform.db),
             "linkage.departments": DepartmentRepository(platform.db), "linkage.hops": HopRepository(platform.db),
             "linkage.orders": LinkageOrderRepository(platform.db), "linkage.staff": LinkageStaffRepository(platform.db)}
    platform.parts.update(repos)
    for repo in repos.values():  # two of them add indexes to work_orders and users
        await dbm.ensure_indexes(platform.db, {repo.collection: repo.indexes})
    upgrades = UpgradeRepository(platform.db)
    await run_once(upgrades, "work_orders.parties", platform.work_orders.backfill_parties)
    await run_once(upgrades, "residents.id_number_claims", platform.residents.claim_stored_id_numbers)
    await run_once(upgrades, "indexes.shardable_unique", lambda: _retire_indexes(platform, repos.values()))
