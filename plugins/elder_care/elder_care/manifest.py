"""The module manifest: name, permissions (with default roles) and the settings schema."""

from __future__ import annotations

from community_plus_sdk import Module, Permission, tag_schema

NAME = "elder_care"

# Home-care service categories (catalogue items and provider offerings).
CATEGORIES = ["cleaning", "bathing", "meal_delivery", "health_check", "companionship", "hospital_escort"]
CATEGORY_TITLES = {"cleaning": "助洁", "bathing": "助浴", "meal_delivery": "送餐", "health_check": "健康检查",
                   "companionship": "陪伴", "hospital_escort": "陪同就医"}

MANAGE_PROVIDERS = "elder_care.provider.manage"
MANAGE_CATALOGUE = "elder_care.catalogue.manage"
MANAGE_ELDERS = "elder_care.elder.manage"
PLACE_FOR = "elder_care.order.place_for"
DISPATCH = "elder_care.order.dispatch"
READ_ALL = "elder_care.order.read_all"
HANDLE_ALERTS = "elder_care.alert.handle"

PERMISSIONS = [
    Permission(MANAGE_PROVIDERS, "登记服务机构与护理员 (register providers and care workers)", roles=("community_admin",)),
    Permission(MANAGE_CATALOGUE, "维护居家护理服务目录 (maintain the home-care catalogue)", roles=("community_admin",)),
    Permission(MANAGE_ELDERS, "老人建档：住址定位与监护人 (enrol elders: home location, guardians)",
               roles=("community_admin", "grid_worker")),
    Permission(PLACE_FOR, "代老人下单、确认与取消 (order, confirm and cancel on behalf of elders)",
               roles=("community_admin", "grid_worker")),
    Permission(DISPATCH, "为任意机构派单 (dispatch any provider's orders)", roles=("community_admin",)),
    Permission(READ_ALL, "查看全部订单、结算单与补贴预算 (see all orders, statements and the budget)",
               roles=("community_admin",)),
    Permission(HANDLE_ALERTS, "处理逾期未签到预警 (handle overdue check-in alerts)",
               roles=("community_admin", "grid_worker")),
]

DEFAULT_RULES = [
    {"name": "高龄补贴（80周岁以上）", "minAge": 80, "hoursPerMonth": 10, "coveragePercent": 100},
    {"name": "低收入老人补贴", "minAge": 60, "tags": ["LOW_INCOME"], "hoursPerMonth": 8, "coveragePercent": 100},
]

SETTINGS_SCHEMA = {
    "type": "object",
    "properties": {
        "monthlyBudgetYuan": {
            "type": "number", "minimum": 0, "maximum": 100_000_000, "default": 20000,
            "title": "每月补贴预算（元）", "description": "Subsidy spending of the community per month never exceeds this."},
        "subsidyRules": {
            "type": "array", "maxItems": 20, "default": DEFAULT_RULES, "title": "补贴规则",
            "description": "在册老人符合某条规则（服务时年龄不低于最低年龄，且具有全部所选标签）即每月享受规定的补贴时长，"
                           "按补贴比例减免费用；同时符合多条时取最优惠的一条。 (An enrolled elder matching a rule gets "
                           "hoursPerMonth subsidised hours a month at coveragePercent; the most generous rule applies.)",
            "items": {
                "type": "object", "required": ["name", "hoursPerMonth"], "additionalProperties": False,
                "properties": {
                    "name": {"type": "string", "minLength": 1, "maxLength": 40, "title": "规则名称"},
                    "minAge": {"type": "integer", "minimum": 0, "maximum": 150, "title": "最低年龄（周岁）"},
                    "tags": {"type": "array", "items": tag_schema(), "maxItems": 5, "uniqueItems": True,
                             "title": "需具有的居民标签", "description": "不选则不限标签"},
                    "hoursPerMonth": {"type": "number", "minimum": 0, "maximum": 744, "title": "每月补贴时长（小时）"},
                    "coveragePercent": {"type": "integer", "minimum": 0, "maximum": 100, "default": 100,
                                        "title": "补贴比例（%）"},
                },
            },
        },
        "checkInToleranceMinutes": {
            "type": "integer", "minimum": 0, "maximum": 720, "default": 30,
            "title": "签到超时预警（分钟）", "description": "Alert the grid worker when a visit is not checked in this "
                                                      "long after its start."},
        "maxCheckInDistanceMeters": {
            "type": "integer", "minimum": 10, "maximum": 20000, "default": 300,
            "title": "签到距离上限（米）", "description": "Check-in/out farther than this from the elder's home is refused."},
        "checkInEarlyMinutes": {
            "type": "integer", "minimum": 0, "maximum": 1440, "default": 120,
            "title": "最早提前签到（分钟）", "description": "How long before the slot a worker may check in."},
        "minLeadMinutes": {
            "type": "integer", "minimum": 0, "maximum": 10080, "default": 0,
            "title": "最少提前下单（分钟）", "description": "Orders must start at least this long after they are placed."},
        "maxAdvanceDays": {
            "type": "integer", "minimum": 1, "maximum": 180, "default": 30,
            "title": "最多提前预约（天）", "description": "Orders may start at most this many days ahead."},
    },
}

module = Module(
    name=NAME,
    title="虚拟养老院",
    version="0.2.0",  # 0.2.0: people's phone numbers sealed (see migrate)
    description="居家养老服务：机构与护理员、服务目录、下单派单、上门签到签退、评价、政府补贴与月度结算",
    icon="heart",
    entry_page="/pages/elder_care/index",
    permissions=PERMISSIONS,
    settings_schema=SETTINGS_SCHEMA,
)
