"""The module manifest: name, permissions (with default roles) and the typed settings (the
settings schema is derived from `ElderCareSettings`)."""

from __future__ import annotations

from dataclasses import dataclass

from community_plus_sdk import FieldErrors, Module, Permission, tag_schema
from community_plus_sdk.settings import setting

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

@dataclass(frozen=True, kw_only=True)
class SubsidyRule:
    """One subsidy rule: who matches it and what they get a month."""

    name: str = setting(..., "规则名称", minLength=1, maxLength=40)
    min_age: int | None = setting(None, "最低年龄（周岁）", minimum=0, maximum=150)
    tags: list[str] = setting([], "需具有的居民标签", "不选则不限标签", items=tag_schema(), maxItems=5, uniqueItems=True)
    hours_per_month: float = setting(..., "每月补贴时长（小时）", minimum=0, maximum=744)
    coverage_percent: int = setting(100, "补贴比例（%）", minimum=0, maximum=100)


DEFAULT_RULES = [
    SubsidyRule(name="高龄补贴（80周岁以上）", min_age=80, hours_per_month=10, coverage_percent=100),
    SubsidyRule(name="低收入老人补贴", min_age=60, tags=["LOW_INCOME"], hours_per_month=8, coverage_percent=100),
]


@dataclass(frozen=True)
class ElderCareSettings:
    """What a community (or its region) tunes; the console's form is derived from it."""

    monthly_budget_yuan: float = setting(
        20000, "每月补贴预算（元）", "Subsidy spending of the community per month never exceeds this.",
        minimum=0, maximum=100_000_000)
    subsidy_rules: list[SubsidyRule] = setting(
        DEFAULT_RULES, "补贴规则",
        "在册老人符合某条规则（服务时年龄不低于最低年龄，且具有全部所选标签）即每月享受规定的补贴时长，"
        "按补贴比例减免费用；同时符合多条时取最优惠的一条。 (An enrolled elder matching a rule gets "
        "hoursPerMonth subsidised hours a month at coveragePercent; the most generous rule applies.)", maxItems=20)
    check_in_tolerance_minutes: int = setting(
        30, "签到超时预警（分钟）", "Alert the grid worker when a visit is not checked in this long after its start.",
        minimum=0, maximum=720)
    max_check_in_distance_meters: int = setting(
        300, "签到距离上限（米）", "Check-in/out farther than this from the elder's home is refused.",
        minimum=10, maximum=20000)
    check_in_early_minutes: int = setting(120, "最早提前签到（分钟）", "How long before the slot a worker may check in.",
                                          minimum=0, maximum=1440)
    min_lead_minutes: int = setting(0, "最少提前下单（分钟）", "Orders must start at least this long after they are placed.",
                                    minimum=0, maximum=10080)
    max_advance_days: int = setting(30, "最多提前预约（天）", "Orders may start at most this many days ahead.",
                                    minimum=1, maximum=180)

    @property
    def budget_fen(self) -> int:
        """The monthly budget in fen."""
        return int(round(self.monthly_budget_yuan * 100))

    def check(self, problems: FieldErrors) -> None:
        """Rules are told apart by name in orders and statements: names are unique."""
        seen: set[str] = set()
        for i, rule in enumerate(self.subsidy_rules):
            if rule.name in seen:
                problems.add(f"subsidyRules.{i}.name", f"规则名称“{rule.name}”重复 (rule names must be unique)")
            seen.add(rule.name)


module = Module(
    name=NAME,
    title="虚拟养老院",
    version="0.2.0",  # 0.2.0: people's phone numbers sealed (see migrate)
    description="居家养老服务：机构与护理员、服务目录、下单派单、上门签到签退、评价、政府补贴与月度结算",
    icon="heart",
    entry_page="/pages/elder_care/index",
    permissions=PERMISSIONS,
    settings=ElderCareSettings,
)
