"""The module manifest: name, permissions and the settings schema (with defaults).

Money is in fen (分, 1/100 yuan) everywhere, as integers.
"""

from __future__ import annotations

from community_plus_sdk import Module, Permission, tag_schema

NAME = "meal_assist"
VERSION = "0.2.0"  # 0.2.0: people's phone numbers sealed (see migrate)

MANAGE = "meal_assist.canteen.manage"
SERVE = "meal_assist.canteen.serve"
ON_BEHALF = "meal_assist.order.on_behalf"
ENROLL = "meal_assist.diner.enroll"
STATS = "meal_assist.stats.view"

_TIME = {"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$"}


def _cutoff(meal: str) -> dict:
    return {"type": "object", "required": ["daysBefore", "time"], "additionalProperties": False, "title": meal,
            "properties": {"daysBefore": {"type": "integer", "minimum": 0, "maximum": 7, "title": "提前天数"},
                           "time": {**_TIME, "title": "截止时刻（HH:MM）"}}}

SETTINGS_SCHEMA = {
    "type": "object",
    "properties": {
        "eligibleMinAge": {"type": "integer", "minimum": 0, "maximum": 120, "default": 60,
                           "title": "享受助餐的最低年龄 (minimum age of eligible diners)"},
        "eligibleTags": {"type": "array", "items": tag_schema(), "uniqueItems": True,
                         "default": ["LOW_INCOME", "DISABLED"],
                         "title": "无论年龄均可助餐的居民标签 (tags that make any age eligible, spelled as ResidentTag: "
                                  "LOW_INCOME)"},
        "openToAllResidents": {"type": "boolean", "default": False,
                               "title": "非助餐对象可原价点餐 (others may order at full price)"},
        "ageBands": {
            "type": "array", "default": [{"minAge": 60, "maxAge": 69, "subsidyFen": 200},
                                         {"minAge": 70, "maxAge": 79, "subsidyFen": 300},
                                         {"minAge": 80, "subsidyFen": 500}],
            "title": "按年龄段的每餐补贴 (per-meal subsidy by age band; the band with the highest minAge wins)",
            "items": {"type": "object", "required": ["minAge", "subsidyFen"], "additionalProperties": False,
                      "properties": {"minAge": {"type": "integer", "minimum": 0, "maximum": 150, "title": "最低年龄"},
                                     "maxAge": {"type": "integer", "minimum": 0, "maximum": 150, "title": "最高年龄"},
                                     "subsidyFen": {"type": "integer", "minimum": 0, "title": "每餐补贴（分）"}}}},
        "tagSubsidies": {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0},
                         "default": {"LOW_INCOME": 300, "DISABLED": 200},
                         "title": "按标签叠加的每餐补贴 (extra per-meal subsidy by resident tag)"},
        "perMealCapFen": {"type": "integer", "minimum": 0, "default": 800,
                          "title": "每餐补贴上限 (subsidy cap per meal)"},
        "monthlyCapFen": {"type": "integer", "minimum": 0, "default": 15000,
                          "title": "每人每月补贴上限 (subsidy cap per diner and month)"},
        "monthlyBudgetFen": {"type": "integer", "minimum": 0, "default": 3000000,
                             "title": "社区每月补贴预算 (community subsidy budget per month)"},
        "deliveryFeeFen": {"type": "integer", "minimum": 0, "default": 200,
                           "title": "送餐费，不予补贴 (delivery fee, never subsidised)"},
        "maxQuantityPerDish": {"type": "integer", "minimum": 1, "maximum": 10, "default": 3,
                               "title": "每道菜最多份数 (portions per dish in one order)"},
        "menuDaysAhead": {"type": "integer", "minimum": 0, "maximum": 60, "default": 14,
                          "title": "菜单最多提前天数 (how far ahead menus may be published)"},
        "utcOffsetHours": {"type": "integer", "minimum": -12, "maximum": 14, "default": 8,
                           "title": "时区 (UTC offset of the community's local time)"},
        "cutoffs": {
            "type": "object", "additionalProperties": False,
            "title": "截止点餐时间：提前天数与时刻 (order cut-off per meal: days before and local time)",
            "properties": {"breakfast": _cutoff("早餐"), "lunch": _cutoff("午餐"), "dinner": _cutoff("晚餐")},
            "default": {"breakfast": {"daysBefore": 1, "time": "19:00"},
                        "lunch": {"daysBefore": 0, "time": "09:00"},
                        "dinner": {"daysBefore": 0, "time": "14:00"}}},
    },
}

module = Module(
    name=NAME, title="社区助餐", version=VERSION,
    description="社区食堂每日菜单、老年人订餐（堂食/自取/送餐）、助餐补贴与配送",
    icon="utensils", entry_page="/pages/meal_assist/index",
    permissions=[
        Permission(MANAGE, "管理食堂、菜单、工作人员和志愿者 (manage canteens, menus, staff, volunteers)",
                   roles=("community_admin",)),
        Permission(SERVE, "查看当日订单、出餐、安排配送 (see the day's orders, serve, dispatch deliveries)",
                   roles=("community_admin",)),
        Permission(ON_BEHALF, "代居民点餐或取消 (order or cancel on a resident's behalf)",
                   roles=("community_admin", "grid_worker")),
        Permission(ENROLL, "登记助餐对象及其监护人 (enrol diners and their guardians)",
                   roles=("community_admin", "grid_worker")),
        Permission(STATS, "查看助餐统计 (see meal statistics)", roles=("community_admin",)),
    ],
    settings_schema=SETTINGS_SCHEMA,
)
