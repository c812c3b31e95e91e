"""A test module of shaped declarative models: a room booking that can be created and
cancelled but never updated, with a read-only computed field, a cross-field check, a list
with `min_items`, a field named `description`, and a manifest carrying its model; and halls,
hosts, events and tickets referring to each other (`fields.Ref` with every `on_delete`),
with an `after_save` hook that checks against the referenced hall and counts its events in
the save's transaction."""

from __future__ import annotations

from dataclasses import dataclass

from community_plus_sdk import FieldErrors, Model, Module, fields, hookimpl
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


ADMIN = {a: ["community_admin"] for a in ("read", "create", "update", "delete")}


class Host(Model):
    """主办人 (who hosts events)"""

    class Meta:
        permissions = ADMIN

    name = fields.String(required=True, max_length=30)


class Hall(Model):
    """活动厅 (a hall)"""

    class Meta:
        permissions = ADMIN

    name = fields.String(required=True, max_length=30)
    seats = fields.Integer(required=True, min=1, max=500)
    events_held = fields.Integer(read_only=True, default=0, description="Events ever saved in the hall.")


class HallEvent(Model):
    """厅内活动 (an event in a hall)"""

    class Meta:
        permissions = ADMIN

    title = fields.String(required=True, max_length=30)
    hall_id = fields.Ref(Hall, required=True, on_delete="cascade", filter=True)
    host_id = fields.Ref("Host", on_delete="set_null")
    seats_wanted = fields.Integer(required=True, min=1, max=500)

    @classmethod
    async def after_save(cls, ctx, row, previous):
        problems = FieldErrors("input")
        hall = await ctx.collection("halls").find_one({"_id": row["hall_id"]})
        if row["seats_wanted"] > hall["seats"]:
            problems.add("seatsWanted", f"超过活动厅座位数{hall['seats']} (more than the hall's {hall['seats']} seats)")
        problems.raise_if_any()
        if previous is None or previous["hall_id"] != row["hall_id"]:
            await ctx.collection("halls").update({"_id": row["hall_id"]}, {}, inc={"events_held": 1})


class Ticket(Model):
    """入场券 (a ticket of an event: while one exists the event cannot be deleted)"""

    class Meta:
        permissions = ADMIN

    event_id = fields.Ref(HallEvent, required=True, on_delete="restrict")
    holder = fields.String(required=True, max_length=30)


MODULE = Module(name="test_shapes", title="测试模型形状", version="1.0.0", settings=ShapeSettings,
                models=(RoomBooking, Ticket, HallEvent, Hall, Host))


@hookimpl
def register_module():
    return MODULE
