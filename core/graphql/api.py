"""The core API parts merged into every schema. Each subsystem adds its Query/Mutation classes here."""

from __future__ import annotations

from .core_api import CoreMutation, CoreQuery

QUERIES: list[type] = [CoreQuery]
MUTATIONS: list[type] = [CoreMutation]
SUBSCRIPTIONS: list[type] = []
