"""The module manifest: name, permissions and the typed settings (`MealSettings`, from which
the settings schema with its defaults is derived).

Money is in fen (分, 1/100 yuan) everywhere, as integers.
"""

from __future__ import annotations

from dataclasses import dataclass

from community_plus_sdk import FieldErrors, Module, Permission, tag_schema
from community_plus_sdk.settings import setting

NAME = "meal_assist"
VERSION = "0.2.0"  # 0.2.0: people's phone numbers sealed (see migrate)

MANAGE = "meal_assist.canteen.manage"
SERVE = "meal_assist.canteen.serve"
ON_BEHALF = "meal_assist.order.on_behalf"
ENROLL = "meal_assist.diner.enroll"
STATS = "meal_assist.stats.view"

_TIME = "^([01][0-9]|2[0-3]):[0-5][0-9]$"


@dataclass(frozen=True, kw_only=True)
class AgeBand:
    """The per-meal subsidy of an age band."""

    min_age: int = setting(..., "最低年龄", minimum=0, maximum=150)
    max_age: int | None = setting(None, "最高年龄", minimum=0, maximum=150)
    subsidy_fen: int = setting(..., "每餐补贴（分）", minimum=0)


@dataclass(frozen=True, kw_only=True)
class Cutoff:
    """When ordering a meal closes: so many days before, at a local time."""

    days_before: int = setting(..., "提前天数", minimum=0, maximum=7)
    time: str = setting(..., "截止时刻（HH:MM）", pattern=_TIME)


@dataclass(frozen=True)
class Cutoffs:
    breakfast: Cutoff = setting(Cutoff(days_before=1, time="19:00"), "早餐")
    lunch: Cutoff = setting(Cutoff(days_before=0, time="09:00"), "午餐")
    dinner: Cutoff = setting(Cutoff(days_before=0, time="14:00"), "晚餐")


DEFAULT_BANDS = [AgeBand(min_age=60, max_age=69, subsidy_fen=200), AgeBand(min_age=70, max_age=79, subsidy_fen=300),
                 AgeBand(min_age=80, subsidy_fen=500)]


@dataclass(frozen=True)
class MealSettings:
    """What a community (or its region) tunes; the console's form is derived from it."""

    eligible_min_age: int = setting(60, "享受助餐的最低年龄 (minimum age of eligible diners)", minimum=0, maximum=120)
    eligible_tags: list[str] = setting(
        ["LOW_INCOME", "DISABLED"], "无论年龄均可助餐的居民标签 (tags that make any age eligible, spelled as "
                                    "ResidentTag: LOW_INCOME)", items=tag_schema(), uniqueItems=True)
    open_to_all_residents: bool = setting(False, "非助餐对象可原价点餐 (others may order at full price)")
    age_bands: list[AgeBand] = setting(
        DEFAULT_BANDS, "按年龄段的每餐补贴 (per-meal subsidy by age band; the band with the highest minAge wins)")
    tag_subsidies: dict[str, int] = setting({"LOW_INCOME": 300, "DISABLED": 200},
                                            "按标签叠加的每餐补贴 (extra per-meal subsidy by resident tag)",
                                            additionalProperties={"type": "integer", "minimum": 0})
    per_meal_cap_fen: int = setting(800, "每餐补贴上限 (subsidy cap per meal)", minimum=0)
    monthly_cap_fen: int = setting(15000, "每人每月补贴上限 (subsidy cap per diner and month)", minimum=0)
    monthly_budget_fen: int = setting(3000000, "社区每月补贴预算 (community subsidy budget per month)", minimum=0)
    delivery_fee_fen: int = setting(200, "送餐费，不予补贴 (delivery fee, never subsidised)", minimum=0)
    max_quantity_per_dish: int = setting(3, "每道菜最多份数 (portions per dish in one order)", minimum=1, maximum=10)
    menu_days_ahead: int = setting(14, "菜单最多提前天数 (how far ahead menus may be published)", minimum=0, maximum=60)
    utc_offset_hours: int = setting(8, "时区 (UTC offset of the community's local time)", minimum=-12, maximum=14)
    cutoffs: Cutoffs = setting(Cutoffs(), "截止点餐时间：提前天数与时刻 (order cut-off per meal: days before and local time)")

    def check(self, problems: FieldErrors) -> None:
        """An age band ends no earlier than it starts."""
        for i, band in enumerate(self.age_bands):
            if band.max_age is not None and band.max_age < band.min_age:
                problems.add(f"ageBands.{i}.maxAge", f"最高年龄不能小于最低年龄{band.min_age} "
                                                     f"(must be at least minAge {band.min_age})")


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
    settings=MealSettings,
)
