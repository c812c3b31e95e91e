"""Pure rules: subsidy entitlement and split, distances, months (no database)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from community_plus_sdk.clock import age_on, china_date, month_of
from community_plus_sdk.settings import load
from elder_care.geo import haversine_m
from elder_care.manifest import ElderCareSettings, SubsidyRule
from elder_care.subsidy import Entitlement, entitlement, grant

RULES = [SubsidyRule(name="高龄", min_age=80, hours_per_month=10),
         SubsidyRule(name="低收入", min_age=60, tags=["low_income"], hours_per_month=8, coverage_percent=50),
         SubsidyRule(name="残疾", tags=["disabled"], hours_per_month=5)]
VISIT = datetime(2025, 6, 15, 2, 0, tzinfo=UTC)


def test_entitlement_picks_the_most_generous_matching_rule():
    assert entitlement(RULES, datetime(1940, 1, 1), ["low_income"], VISIT) == Entitlement("高龄", 600, 100)
    assert entitlement(RULES, datetime(1960, 1, 1), ["low_income"], VISIT) == Entitlement("低收入", 480, 50)
    assert entitlement(RULES, datetime(1960, 1, 1), ["low_income", "disabled"], VISIT) == Entitlement("残疾", 300, 100)
    # settings may spell tags as ResidentTag does
    assert entitlement([replace(RULES[2], tags=["DISABLED"])], datetime(1960, 1, 1), ["disabled"], VISIT).rule == "残疾"
    assert entitlement(RULES, datetime(1960, 1, 1), [], VISIT).rule is None
    assert entitlement(RULES, None, ["disabled"], VISIT).minutes == 300  # no age: only age-free rules
    # 80 on the visit's (China) date, not before
    assert entitlement(RULES, datetime(1945, 6, 15), [], VISIT).rule == "高龄"
    assert entitlement(RULES, datetime(1945, 6, 16), [], VISIT).rule is None


def test_stored_settings_load_typed_with_defaults_for_keys_they_lack():
    # what a community stored before: camelCase keys, rules without the optional keys
    stored = {"monthlyBudgetYuan": 150, "subsidyRules": [{"name": "高龄", "minAge": 80, "hoursPerMonth": 10}],
              "retiredKey": True}
    settings = load(ElderCareSettings, stored)
    assert settings.budget_fen == 15000 and settings.check_in_early_minutes == 120  # a key it lacked: the default
    assert settings.subsidy_rules == [SubsidyRule(name="高龄", min_age=80, tags=[], hours_per_month=10.0,
                                                  coverage_percent=100)]
    assert load(ElderCareSettings, {}).subsidy_rules[1].tags == ["LOW_INCOME"]


def test_grant_splits_price_by_hours_coverage_and_budget():
    full = Entitlement("r", 600, 100)
    assert grant(6000, 120, full, 0, 10**9) == grant(6000, 120, full, 480, None)
    g = grant(6000, 120, full, 540, None)  # 60 of 120 minutes left
    assert (g.subsidy_fen, g.paid_fen, g.minutes, g.limited_by) == (3000, 3000, 60, "hours")
    g = grant(6000, 120, Entitlement("r", 600, 50), 0, None)
    assert (g.subsidy_fen, g.paid_fen, g.minutes, g.limited_by) == (3000, 3000, 120, None)
    g = grant(6000, 120, full, 0, 1500)  # the budget caps it
    assert (g.subsidy_fen, g.paid_fen, g.minutes, g.limited_by) == (1500, 4500, 30, "budget")
    g = grant(6000, 120, full, 0, -200)  # budget lowered below what was spent
    assert (g.subsidy_fen, g.minutes, g.rule, g.limited_by) == (0, 0, None, "budget")
    g = grant(6000, 120, Entitlement(None, 0, 0), 0, 10**9)
    assert (g.subsidy_fen, g.paid_fen, g.limited_by) == (0, 6000, None)
    assert grant(0, 60, full, 0, 100).minutes == 0  # free items use no entitlement


def test_distances_months_and_ages():
    assert abs(haversine_m(118.7969, 32.0603, 118.7969, 32.0603)) < 1e-6
    assert 60 < haversine_m(118.7969, 32.0603, 118.7975, 32.0606) < 70
    assert 111_000 < haversine_m(0, 0, 0, 1) < 111_400
    assert month_of(datetime(2025, 6, 30, 17, 0, tzinfo=UTC)) == "2025-07"  # already July 1st in China
    assert month_of(datetime(2025, 7, 1, 1, 0)) == "2025-07"  # naive = China time
    assert age_on(datetime(1940, 3, 1), china_date(VISIT)) == 85
