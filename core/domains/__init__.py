"""Domains as vertical slices (repository, service; their GraphQL face is in `graphql/domains/`):
`hotline` (12349 便民热线) and `linkage` (联动指挥). `open_domains(platform)` registers their repositories on the
platform and creates their indexes (called once from `create_app`'s database context)."""

from __future__ import annotations

from typing import Any

from community_plus.platform import db as dbm


async def open_domains(platform: Any) -> None:
    from community_plus.domains.hotline.repository import (HotlineCallRepository, ResidentAccountsRepository,
        ReturnVisitRepository)
    from community_plus.domains.linkage.repository import (DepartmentRepository, HopRepository,
        LinkageOrderRepository, LinkageStaffRepository)

    repos = {"hotline.calls": HotlineCallRepository(platform.db), "hotline.visits": ReturnVisitRepository(platform.db),
             "hotline.accounts": ResidentAccountsRepository(platform.db),
             "linkage.departments": DepartmentRepository(platform.db), "linkage.hops": HopRepository(platform.db),
             "linkage.orders": LinkageOrderRepository(platform.db), "linkage.staff": LinkageStaffRepository(platform.db)}
    platform.parts.update(repos)
    for repo in repos.values():  # two of them add indexes to work_orders and users
        await dbm.ensure_indexes(platform.db, {repo.collection: repo.indexes})
