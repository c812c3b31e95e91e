"""Input types. Range and format rules are checked by the services (BAD_USER_INPUT with
field paths such as `input.slotStart`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from .types import CareOrderState


def plain(obj: Any) -> dict[str, Any]:
    """An input object as a dict of its given (non-null) fields, snake_case."""
    if obj is None:
        return {}
    return {k: v for k, v in vars(obj).items() if v is not None and v is not strawberry.UNSET}


@strawberry.input(description="Enrol an elder (or update the profile of one already enrolled).")
class SaveElderProfileInput:
    resident_id: strawberry.ID
    home_address: str
    longitude: float = strawberry.field(description="Home location (WGS-84), the reference for check-in.")
    latitude: float
    contact_phone: str | None = None
    care_notes: str | None = strawberry.field(default=None, description="Allergies, mobility, what workers must know.")
    guardian_resident_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Family members (residents) who may order, confirm and see statements.")
    active: bool | None = None
    version: int | None = strawberry.field(default=None, description="Fail with CONFLICT if the profile changed.")


@strawberry.input
class RegisterCareWorkerInput:
    provider_id: strawberry.ID
    name: str
    phone: str | None = None
    skills: list[str] | None = strawberry.field(default=None, description="Categories the worker may serve; "
                                                                          "empty: all.")
    can_dispatch: bool | None = None


@strawberry.input
class UpdateCareWorkerInput:
    name: str | None = None
    phone: str | None = None
    skills: list[str] | None = None
    can_dispatch: bool | None = None
    active: bool | None = None


@strawberry.input(description="Which visit, for whom, when. The elder defaults to the calling resident.")
class CareOrderQuoteInput:
    item_id: strawberry.ID
    slot_start: datetime = strawberry.field(description="Start of the visit; without a UTC offset it is China time.")
    elder_id: strawberry.ID | None = None
    provider_id: strawberry.ID | None = strawberry.field(
        default=None, description="Omit to let the least busy provider offering the service take it.")


@strawberry.input
class PlaceCareOrderInput:
    item_id: strawberry.ID
    slot_start: datetime
    elder_id: strawberry.ID | None = None
    provider_id: strawberry.ID | None = None
    note: str | None = None
    max_paid_fen: int | None = strawberry.field(
        default=None, description="Refuse (CONFLICT) rather than pay more than this, e.g. 0 after a fully "
                                  "subsidised quote when the last subsidy hours or budget went meanwhile.")
    idempotency_key: str | None = strawberry.field(
        default=None, description="Retries with the same key return the same order instead of a new one.")


@strawberry.input
class CareOrderFilter:
    state: CareOrderState | None = None
    elder_id: strawberry.ID | None = None
    provider_id: strawberry.ID | None = None
    worker_id: strawberry.ID | None = None
    grid_id: strawberry.ID | None = None
    month: str | None = strawberry.field(default=None, description="YYYY-MM of the visit.")


@strawberry.input
class CareCheckInInput:
    order_id: strawberry.ID
    longitude: float
    latitude: float


@strawberry.input
class CareCheckOutInput:
    order_id: strawberry.ID
    longitude: float
    latitude: float
    summary: str = strawberry.field(description="What was done (shown to the elder and family).")
    tasks: list[str] | None = None
    photo_ids: list[strawberry.ID] | None = strawberry.field(default=None, description="Uploaded photos (at most 9).")


@strawberry.input
class ConfirmCareOrderInput:
    order_id: strawberry.ID
    rating: int = strawberry.field(description="1 to 5 stars.")
    comment: str | None = None
