"""Repositories: the only code that touches MongoDB collections.

Every query is scoped by a filter from `access.Scope` unless it is deliberately global
(documented where it happens).
"""

from __future__ import annotations

from community_plus.platform.repository import Page, Repository
from community_plus.domains.regions.repository import RegionRepository
from community_plus.domains.regions.grids_repository import GridRepository
from community_plus.domains.residents.repository import ResidentRepository
from community_plus.domains.staff.users_repository import UserRepository
from community_plus.domains.identity.sessions_repository import SessionRepository
from community_plus.domains.audit.repository import AuditRepository
from community_plus.domains.catalogue.repository import ServiceFormRepository, ServiceItemRepository
from community_plus.domains.work_orders.repository import WorkOrderRepository
from community_plus.platform.idempotency_claims import IdempotencyRepository
from community_plus.domains.notifications.outbox_repository import OutboxRepository

__all__ = ["Page", "Repository", "RegionRepository", "GridRepository", "ResidentRepository",
           "UserRepository", "SessionRepository", "AuditRepository", "ServiceItemRepository",
           "ServiceFormRepository", "WorkOrderRepository", "OutboxRepository", "IdempotencyRepository"]
