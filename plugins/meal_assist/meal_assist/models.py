"""Declarative models: canteens and delivery volunteers (generated CRUD, validation, audit); a
volunteer may refer to the canteen they deliver for (`fields.Ref`)."""

from __future__ import annotations

from community_plus_sdk import Model, fields

from .manifest import MANAGE, SERVE

_HM = r"([01][0-9]|2[0-3]):[0-5][0-9]"
_HOURS = rf"^{_HM}-{_HM}(,{_HM}-{_HM})*$"


class Canteen(Model):
    """社区长者食堂 (a community canteen)"""

    class Meta:
        collection = "canteens"
        permissions = {"read": ["resident", "grid_worker", "community_admin"],
                       "create": [MANAGE], "update": [MANAGE],
                       # rows are referenced by menus and orders: deactivate (active=false) instead
                       "delete": ["platform_admin"]}

    name = fields.String(required=True, max_length=50, filter=True)
    address = fields.String(max_length=100)
    phone = fields.SealedPhone(description="联系电话 (contact mobile number)")  # encrypted at rest, masked on read
    opening_hours = fields.String(max_length=100, pattern=_HOURS,
                                  description="营业时间，如 06:30-08:30,10:30-13:00 (opening hours, local time)")
    capacity_per_meal = fields.Integer(required=True, min=1, max=1000,
                                       description="每餐最多供应份数 (meals per meal session at most)")
    meals = fields.List(fields.Choice(["breakfast", "lunch", "dinner"]), max_items=3,
                        default=["breakfast", "lunch", "dinner"], description="供应的餐次 (meals served)")
    delivery_available = fields.Boolean(default=True, description="提供送餐 (offers delivery)")
    active = fields.Boolean(default=True, filter=True)


class MealVolunteer(Model):
    """送餐志愿者 (a resident volunteering to deliver meals)"""

    class Meta:
        collection = "volunteers"
        permissions = {"read": [MANAGE, SERVE, "grid_worker"], "create": [MANAGE], "update": [MANAGE],
                       "delete": [MANAGE]}

    # one word on purpose: the core reports ResidentRef errors under the Python name
    # (`input.resident_id`), so a single-word name keeps the path right (`input.resident`)
    resident = fields.ResidentRef(required=True, filter=True,
                                  description="志愿者的居民 id (the volunteer's resident id)")
    name = fields.String(required=True, max_length=30)
    phone = fields.SealedPhone()  # a resident's own number: encrypted at rest, masked on read
    # the canteen the volunteer delivers for (offered only that canteen's deliveries); none: any
    # canteen. Deleting the canteen frees the volunteer for all of them.
    canteen_id = fields.Ref(Canteen, on_delete="set_null", filter=True,
                            description="常驻送餐的食堂，不填则可为任一食堂送餐 (the canteen delivered for; none: any)")
    active = fields.Boolean(default=True, filter=True)
