"""The core API parts merged into every schema. Each subsystem adds its Query/Mutation classes here."""

from __future__ import annotations

from ..media.graphql import MediaMutation, MediaQuery
from .core_api import CoreMutation, CoreQuery
from .identity_api import IdentityMutation, IdentityQuery
from .services_api import ServicesMutation, ServicesQuery

QUERIES: list[type] = [CoreQuery, MediaQuery, ServicesQuery, IdentityQuery]
MUTATIONS: list[type] = [CoreMutation, MediaMutation, ServicesMutation, IdentityMutation]
SUBSCRIPTIONS: list[type] = []
