"""Subsidy rules (pure functions): which monthly entitlement an elder has, and how much of
one order it covers given what the elder already used and what is left of the budget.

Amounts are integer fen (分); durations integer minutes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from community_plus_sdk.clock import age_on, china_date

from .manifest import SubsidyRule


@dataclass(frozen=True)
class Entitlement:
    rule: str | None  # name of the rule that applies, None when none does
    minutes: int  # subsidised minutes per month
    coverage: int  # percent of the price the subsidy pays


NONE = Entitlement(None, 0, 0)


def rule_matches(rule: SubsidyRule, age: int | None, tags: list[str]) -> bool:
    if rule.min_age is not None and (age is None or age < rule.min_age):
        return False
    held = {t.lower() for t in tags}  # settings may spell tags as ResidentTag does (LOW_INCOME)
    return all(t.lower() in held for t in rule.tags)


def entitlement(rules: list[SubsidyRule], birth_date: datetime | date | None, tags: list[str],
                when: datetime) -> Entitlement:
    """The most generous matching rule (most subsidised value a month) on the date of `when`."""
    age = age_on(birth_date, china_date(when))
    best = NONE
    for rule in rules or []:
        if not rule_matches(rule, age, list(tags or [])):
            continue
        candidate = Entitlement(rule.name, int(round(rule.hours_per_month * 60)), rule.coverage_percent)
        if candidate.minutes * candidate.coverage > best.minutes * best.coverage:
            best = candidate
    return best


@dataclass(frozen=True)
class Grant:
    total_fen: int
    subsidy_fen: int
    paid_fen: int
    minutes: int  # subsidised minutes charged to the elder's monthly entitlement
    rule: str | None
    limited_by: str | None  # "hours" or "budget" when the order got less than full coverage because of it


def grant(price_fen: int, duration_min: int, ent: Entitlement, used_minutes: int,
          budget_left_fen: int | None) -> Grant:
    """Split one order's price into subsidy and paid parts (never over the budget left)."""
    if ent.minutes <= 0 or ent.coverage <= 0 or price_fen <= 0:
        return Grant(price_fen, 0, price_fen, 0, None, None)
    remaining = max(0, ent.minutes - used_minutes)
    minutes = min(duration_min, remaining)
    fen = price_fen * minutes * ent.coverage // (duration_min * 100)
    limited = "hours" if minutes < duration_min else None
    if budget_left_fen is not None and fen > max(0, budget_left_fen):
        fen = max(0, budget_left_fen)
        minutes = fen * duration_min * 100 // (price_fen * ent.coverage)
        limited = "budget"
    return Grant(price_fen, fen, price_fen - fen, minutes, ent.rule if fen > 0 else None, limited)

