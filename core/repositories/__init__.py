"""Repositories: the only code that touches MongoDB collections.

Every query is scoped by a filter from `access.Scope` unless it is deliberately global
(documented where it happens).
"""

from __future__ import annotations

from .base import Page, Repository
from .regions import RegionRepository
from .grids import GridRepository
from .residents import ResidentRepository
from .users import UserRepository
from .sessions import SessionRepository
from .audit import AuditRepository
from .service_items import ServiceFormRepository, ServiceItemRepository
from .work_orders import WorkOrderRepository
from .idempotency import IdempotencyRepository
from .outbox import OutboxRepository

__all__ = ["Page", "Repository", "RegionRepository", "GridRepository", "ResidentRepository",
           "UserRepository", "SessionRepository", "AuditRepository", "ServiceItemRepository",
           "ServiceFormRepository", "WorkOrderRepository", "OutboxRepository", "IdempotencyRepository"]
