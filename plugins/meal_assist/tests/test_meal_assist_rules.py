"""The pure rules: local dates and cut-offs, eligibility, the subsidy and its limits."""

from __future__ import annotations

from datetime import UTC, date, datetime

from community_plus_sdk.settings import load
from meal_assist.manifest import MealSettings
from meal_assist.rules import Rules, age_on, entitlement, format_address, grant


def stored(values: dict) -> Rules:
    """Rules of settings as a community stored them (camelCase, only what it changed)."""
    return Rules.of(load(MealSettings, values))


RULES = Rules.of(MealSettings())


def test_age_and_eligibility():
    assert age_on(datetime(1950, 3, 16, tzinfo=UTC), date(2030, 3, 15)) == 79  # birthday tomorrow
    assert age_on(date(1950, 3, 15), date(2030, 3, 15)) == 80
    assert age_on(None, date(2030, 3, 15)) is None
    on = date(2030, 3, 15)
    assert entitlement(RULES, date(1975, 1, 1), [], on).eligible is False
    assert entitlement(RULES, None, ["low_income"], on).per_meal_fen == 300  # tag makes any age eligible
    assert entitlement(RULES, date(1968, 1, 1), ["elderly"], on).per_meal_fen == 200  # 62: first band
    assert entitlement(RULES, date(1945, 1, 1), ["low_income", "disabled"], on).per_meal_fen == 800  # 500+300+200 capped
    custom = stored({"ageBands": [{"minAge": 60, "subsidyFen": 100}, {"minAge": 75, "maxAge": 79, "subsidyFen": 400}],
                       "tagSubsidies": {}, "eligibleMinAge": 65})
    assert entitlement(custom, date(1953, 1, 1), [], on).per_meal_fen == 400   # 77: the higher band wins
    assert entitlement(custom, date(1948, 1, 1), [], on).per_meal_fen == 100   # 82: above 79, the 60+ band
    assert entitlement(custom, date(1968, 1, 1), [], on).eligible is False     # 62 < 65


def test_grant_limits():
    assert grant(RULES, 500, 1300, 0, 0).fen == 500
    assert grant(RULES, 500, 300, 0, 0).fen == 300  # never above the meal's price
    g = grant(RULES, 500, 1300, 14800, 0)
    assert (g.fen, g.wanted, g.limited_by) == (200, 500, "MONTHLY_CAP_REACHED")
    g = grant(RULES, 500, 1300, 0, 3000000 - 100)
    assert (g.fen, g.limited_by) == (100, "BUDGET_EXHAUSTED")
    assert grant(RULES, 0, 1300, 15000, 3000000).limited_by is None  # nothing wanted, nothing refused


def test_cutoffs_and_local_dates():
    day = date(2030, 3, 15)
    assert RULES.default_cutoff(day, "lunch") == datetime(2030, 3, 15, 1, 0, tzinfo=UTC)      # 09:00 +08:00
    assert RULES.default_cutoff(day, "breakfast") == datetime(2030, 3, 14, 11, 0, tzinfo=UTC)  # 19:00 the day before
    assert RULES.end_of_day(day) == datetime(2030, 3, 15, 16, 0, tzinfo=UTC)
    assert RULES.today(datetime(2030, 3, 14, 16, 30, tzinfo=UTC)) == day  # 00:30 local
    shifted = stored({"cutoffs": {"dinner": {"daysBefore": 1, "time": "20:00"}}, "utcOffsetHours": 0})
    assert shifted.default_cutoff(day, "dinner") == datetime(2030, 3, 14, 20, 0, tzinfo=UTC)
    assert shifted.default_cutoff(day, "lunch") == datetime(2030, 3, 15, 9, 0, tzinfo=UTC)  # default kept


def test_address_line():
    assert format_address({"building": "3栋", "unit": "2单元", "room": "502"}) == "3栋2单元502"
    assert format_address({}) is None and format_address(None) is None
