"""A test module of shaped declarative models: a room booking that can be created and
cancelled but never updated, with a read-only computed field, a cross-field check, a list
with `min_items`, a field named `description`, and a manifest carrying its model."""

from __future__ import annotations

from dataclasses import dataclass

from community_plus_sdk import Model, Module, fields, hookimpl
from community_plus_sdk.settings import setting


@dataclass(frozen=True)
class ShapeSettings:
    max_nights: int = setting(7, "最多预订晚数", "超过则拒绝预订", minimum=1, maximum=30)


class RoomBooking(Model):
    """活动室预订 (a booking of the community room)"""

    class Meta:
        collection = "bookings"
        operations = ("list", "get", "create", "delete")  # a booking is never changed, only cancelled
        permissions = {"read": ["community_admin"], "create": ["community_admin"], "update": [],
                       "delete": ["community_admin"]}

    description = fields.String(required=True, max_length=50)
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True)
    rooms = fields.List(fields.String(max_length=10), min_items=1, max_items=3)
    nights = fields.Integer(read_only=True, description="Computed from the dates.")

    @classmethod
    def before_save(cls, values, current, problems):
        starts, ends = values.get("starts_on"), values.get("ends_on")
        if starts and ends:
            if ends <= starts:
                problems["input.endsOn"] = "离开日期应晚于入住日期 (must be after startsOn)"
            values["nights"] = (ends - starts).days


MODULE = Module(name="test_shapes", title="测试模型形状", version="1.0.0", settings=ShapeSettings,
                models=(RoomBooking,))


@hookimpl
def register_module():
    return MODULE
