"""GraphQL types of the workflow (menus, orders, diners, staff, statistics). Money is in fen."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

import strawberry

from .rules import day_of


@strawberry.enum(description="餐次 (meal of the day)")
class MealKind(enum.Enum):
    BREAKFAST = "breakfast"
    LUNCH = "lunch"
    DINNER = "dinner"


@strawberry.enum(description="就餐方式 (how the meal is taken)")
class MealOrderType(enum.Enum):
    EAT_IN = "eat_in"
    PICK_UP = "pick_up"
    DELIVERY = "delivery"


@strawberry.enum(description="订单状态: PLACED → SERVED (堂食/自取); PLACED → ASSIGNED → OUT_FOR_DELIVERY → "
                             "DELIVERED (送餐); PLACED/ASSIGNED → CANCELLED before the cut-off.")
class MealOrderStatus(enum.Enum):
    PLACED = "placed"
    ASSIGNED = "assigned"
    OUT_FOR_DELIVERY = "out_for_delivery"
    SERVED = "served"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


@strawberry.enum(description="营养标签 (nutrition tag of a dish)")
class MealNutritionTag(enum.Enum):
    LOW_SALT = "low_salt"
    SOFT_FOOD = "soft_food"
    DIABETIC_FRIENDLY = "diabetic_friendly"
    LOW_FAT = "low_fat"
    VEGETARIAN = "vegetarian"
    HALAL = "halal"


@strawberry.enum(description="配送人类型 (who delivers)")
class MealDelivererKind(enum.Enum):
    GRID_WORKER = "grid_worker"
    VOLUNTEER = "volunteer"


# -- menus ------------------------------------------------------------------------------------


@strawberry.type(description="菜单上的一道菜 (a dish on a menu)")
class MealDish:
    id: strawberry.ID
    name: str
    price_fen: int = strawberry.field(description="单价，分 (price in fen)")
    nutrition_tags: list[MealNutritionTag]
    description: str | None

    @classmethod
    def of(cls, d: dict[str, Any]) -> MealDish:
        return cls(id=d["id"], name=d["name"], price_fen=d["priceFen"],
                   nutrition_tags=[MealNutritionTag(t) for t in d.get("nutritionTags", [])],
                   description=d.get("description"))


@strawberry.type(description="某食堂某日某餐的菜单 (the menu of one canteen, day and meal)")
class MealMenu:
    id: strawberry.ID
    canteen_id: strawberry.ID
    canteen_name: str
    date: date
    meal: MealKind
    dishes: list[MealDish]
    capacity: int = strawberry.field(description="本餐最多份数 (meals on offer)")
    ordered_count: int = strawberry.field(description="已订份数 (meals ordered, cancellations excluded)")
    remaining: int
    cutoff_at: datetime = strawberry.field(description="截止点餐与取消时间 (ordering and cancelling close)")
    open: bool = strawberry.field(description="是否接受点餐（另受截止时间限制）(accepting orders, cut-off aside)")
    note: str | None
    version: int

    @classmethod
    def of(cls, d: dict[str, Any]) -> MealMenu:
        return cls(id=d["_id"], canteen_id=d["canteenId"], canteen_name=d.get("canteenName", ""),
                   date=day_of(d["date"]), meal=MealKind(d["meal"]), dishes=[MealDish.of(x) for x in d["dishes"]],
                   capacity=d["capacity"], ordered_count=d["orderedCount"],
                   remaining=max(0, d["capacity"] - d["orderedCount"]), cutoff_at=d["cutoffAt"],
                   open=d["status"] == "open", note=d.get("note"), version=d.get("version", 1))


@strawberry.input(description="菜品 (a dish)")
class MealDishInput:
    name: str
    price_fen: int
    nutrition_tags: list[MealNutritionTag] = strawberry.field(default_factory=list)
    description: str | None = None


@strawberry.input
class CreateMealMenuInput:
    canteen_id: strawberry.ID
    date: date
    meal: MealKind
    dishes: list[MealDishInput]
    capacity: int | None = strawberry.field(default=None, description="默认为食堂每餐容量 (default: the canteen's)")
    cutoff_at: datetime | None = strawberry.field(default=None, description="默认按设置计算 (default: from settings)")
    note: str | None = None


@strawberry.input
class UpdateMealMenuInput:
    dishes: list[MealDishInput] | None = strawberry.field(default=None, description="仅在无人点餐时可改 "
                                                                                    "(only while nobody ordered)")
    capacity: int | None = None
    cutoff_at: datetime | None = None
    note: str | None = None


# -- orders -----------------------------------------------------------------------------------


@strawberry.type
class MealOrderItem:
    dish_id: strawberry.ID
    name: str
    quantity: int
    unit_price_fen: int


@strawberry.type(description="配送人 (who delivers an order)")
class MealDeliverer:
    kind: MealDelivererKind
    id: strawberry.ID = strawberry.field(description="网格员的用户 id 或志愿者记录 id (grid worker user id or "
                                                     "volunteer record id)")
    name: str | None
    phone: str | None


@strawberry.type(description="一份助餐订单 (one diner's meal)")
class MealOrder:
    id: strawberry.ID
    menu_id: strawberry.ID
    canteen_id: strawberry.ID
    canteen_name: str
    date: date
    meal: MealKind
    resident_id: strawberry.ID = strawberry.field(description="就餐的居民 (the diner)")
    diner_name: str | None
    order_type: MealOrderType
    status: MealOrderStatus
    items: list[MealOrderItem]
    meal_price_fen: int = strawberry.field(description="餐费 (the dishes)")
    delivery_fee_fen: int
    total_fen: int
    subsidy_fen: int = strawberry.field(description="补贴，下单时扣减 (subsidy, deducted when ordering)")
    pay_fen: int = strawberry.field(description="个人应付 (what the diner pays)")
    subsidy_limited_by: str | None = strawberry.field(description="补贴被何种上限削减 (MONTHLY_CAP_REACHED or "
                                                                  "BUDGET_EXHAUSTED), if any")
    on_behalf: bool = strawberry.field(description="由监护人或工作人员代订 (placed by a guardian or staff)")
    delivery_address: str | None
    note: str | None
    dietary_notes: str | None
    deliverer: MealDeliverer | None
    cutoff_at: datetime
    created_at: datetime
    served_at: datetime | None
    delivered_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str | None
    version: int

    @classmethod
    def of(cls, d: dict[str, Any]) -> MealOrder:
        dv = d.get("deliverer")
        return cls(
            id=d["_id"], menu_id=d["menuId"], canteen_id=d["canteenId"], canteen_name=d.get("canteenName", ""),
            date=day_of(d["date"]), meal=MealKind(d["meal"]), resident_id=d["residentId"],
            diner_name=d.get("dinerName"),
            order_type=MealOrderType(d["orderType"]), status=MealOrderStatus(d["status"]),
            items=[MealOrderItem(dish_id=i["dishId"], name=i["name"], quantity=i["quantity"],
                                 unit_price_fen=i["unitPriceFen"]) for i in d["items"]],
            meal_price_fen=d["mealPriceFen"], delivery_fee_fen=d.get("deliveryFeeFen", 0), total_fen=d["totalFen"],
            subsidy_fen=d["subsidyFen"], pay_fen=d["payFen"], subsidy_limited_by=d.get("subsidyLimitedBy"),
            on_behalf=bool(d.get("onBehalf")), delivery_address=d.get("deliveryAddress"), note=d.get("note"),
            dietary_notes=d.get("dietaryNotes"),
            deliverer=MealDeliverer(kind=MealDelivererKind(dv["kind"]), id=dv["id"], name=dv.get("name"),
                                    phone=dv.get("phone")) if dv else None,
            cutoff_at=d["cutoffAt"], created_at=d["createdAt"], served_at=d.get("servedAt"),
            delivered_at=d.get("deliveredAt"), cancelled_at=d.get("cancelledAt"), cancel_reason=d.get("cancelReason"),
            version=d.get("version", 1))


@strawberry.input
class MealOrderItemInput:
    dish_id: strawberry.ID
    quantity: int = 1


@strawberry.input
class PlaceMealOrderInput:
    menu_id: strawberry.ID
    order_type: MealOrderType
    items: list[MealOrderItemInput]
    resident_id: strawberry.ID | None = strawberry.field(
        default=None, description="就餐居民；缺省为本人 (the diner; default: the caller's own resident record)")
    delivery_address: str | None = strawberry.field(default=None, description="缺省为居民登记地址 (default: "
                                                                              "the diner's address)")
    note: str | None = None
    idempotency_key: str | None = strawberry.field(
        default=None, description="客户端生成的唯一键；重试时原样重发，不会重复下单 (client-made key; resend it "
                                  "on retries and the order is created once)")
    accept_reduced_subsidy: bool = strawberry.field(
        default=False, description="补贴额度不足时仍按减少的补贴下单 (order even if the subsidy is cut by the "
                                   "monthly cap or the budget)")


# -- the canteen's day ---------------------------------------------------------------------------


@strawberry.type
class MealDishCount:
    dish_id: strawberry.ID
    name: str
    quantity: int


@strawberry.type(description="一餐中某种就餐方式的订单 (orders of one meal and one type)")
class MealSheetGroup:
    order_type: MealOrderType
    count: int
    done_count: int = strawberry.field(description="已出餐/已送出 (served, out for delivery or delivered)")
    orders: list[MealOrder]


@strawberry.type
class MealSheetMeal:
    menu: MealMenu
    dish_counts: list[MealDishCount] = strawberry.field(description="备餐份数 (portions to prepare)")
    groups: list[MealSheetGroup]


@strawberry.type(description="食堂当日订单，按餐次和就餐方式分组 (a canteen's orders of one day)")
class MealDaySheet:
    canteen_id: strawberry.ID
    canteen_name: str
    date: date
    meals: list[MealSheetMeal]
    total_orders: int


# -- people -----------------------------------------------------------------------------------


@strawberry.type(description="食堂工作人员 (a canteen staff member, by user account)")
class CanteenStaffMember:
    id: strawberry.ID
    canteen_id: strawberry.ID
    user_id: strawberry.ID
    name: str
    phone: str | None
    active: bool

    @classmethod
    def of(cls, d: dict[str, Any]) -> CanteenStaffMember:
        return cls(id=d["_id"], canteen_id=d["canteenId"], user_id=d["userId"], name=d["name"],
                   phone=d.get("phone"), active=bool(d.get("active", True)))


@strawberry.input
class AddCanteenStaffInput:
    canteen_id: strawberry.ID
    user_id: strawberry.ID
    name: str
    phone: str | None = None


@strawberry.type(description="登记的助餐对象与可代其点餐的监护人 (an enrolled diner and the guardians who may "
                             "order for them)")
class MealDiner:
    id: strawberry.ID
    resident_id: strawberry.ID
    name: str | None
    age: int | None
    tags: list[str] = strawberry.field(description="Resident tags, spelled as ResidentTag (LOW_INCOME).")
    guardian_resident_ids: list[strawberry.ID]
    dietary_notes: str | None
    delivery_address: str | None
    eligible: bool
    per_meal_subsidy_fen: int
    active: bool


@strawberry.input
class EnrollMealDinerInput:
    resident_id: strawberry.ID
    guardian_resident_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    dietary_notes: str | None = None
    delivery_address: str | None = None


@strawberry.type(description="配送候选人 (someone an order can be handed to)")
class MealDeliveryCandidate:
    kind: MealDelivererKind
    id: strawberry.ID
    name: str | None
    phone: str | None


@strawberry.type(description="某居民某月的助餐补贴 (a diner's subsidy in one month)")
class MealSubsidyStatus:
    resident_id: strawberry.ID
    month: str
    eligible: bool
    age: int | None
    per_meal_subsidy_fen: int
    monthly_cap_fen: int
    used_fen: int
    remaining_fen: int
    meals_ordered: int
    community_budget_fen: int
    community_spent_fen: int


# -- statistics ---------------------------------------------------------------------------------


@strawberry.type
class MealDayStat:
    date: date
    ordered: int = strawberry.field(description="下单份数（不含已取消）(meals ordered, not cancelled)")
    served: int = strawberry.field(description="已出餐（含送出、送达）(served, out for delivery or delivered)")
    cancelled: int
    subsidy_fen: int


@strawberry.type
class MealDishStat:
    name: str
    quantity: int


@strawberry.type
class MealTypeStat:
    order_type: MealOrderType
    count: int


@strawberry.type
class MealBudgetMonth:
    month: str
    budget_fen: int
    spent_fen: int
    remaining_fen: int


@strawberry.type(description="助餐统计 (meal statistics for a date range)")
class MealStatistics:
    since: date
    until: date
    canteen_id: strawberry.ID | None
    meals_ordered: int
    meals_served: int
    meals_cancelled: int
    subsidy_spent_fen: int
    paid_fen: int
    by_type: list[MealTypeStat] = strawberry.field(description="按就餐方式的份数，不含已取消 (meals per order type)")
    days: list[MealDayStat]
    top_dishes: list[MealDishStat]
    budgets: list[MealBudgetMonth] = strawberry.field(description="社区每月补贴预算与支出 (community budget per "
                                                                  "month against spending)")
