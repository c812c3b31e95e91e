"""Pure rules: settings, local dates, cut-offs, eligibility and the subsidy (no I/O).

Money is integer fen (分). Calendar dates are stored as midnight-UTC datetimes (as the SDK's
`fields.Date` does); instants such as cut-offs are UTC datetimes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

from .manifest import MealSettings

MEALS = ("breakfast", "lunch", "dinner")
ORDER_TYPES = ("eat_in", "pick_up", "delivery")
NUTRITION_TAGS = ("low_salt", "soft_food", "diabetic_friendly", "low_fat", "vegetarian", "halal")
MEAL_LABELS = {"breakfast": "早餐", "lunch": "午餐", "dinner": "晚餐"}


@dataclass(frozen=True)
class Rules:
    """A community's effective module settings in the form the rules use (local time zone,
    bands by highest minimum age, tags lower-case)."""

    eligible_min_age: int
    eligible_tags: frozenset[str]
    open_to_all: bool
    age_bands: tuple[tuple[int, int | None, int], ...]  # (minAge, maxAge, fen), highest minAge first
    tag_subsidies: dict[str, int]
    per_meal_cap: int
    monthly_cap: int
    monthly_budget: int
    delivery_fee: int
    max_quantity: int
    days_ahead: int
    tz: timezone
    cutoffs: dict[str, tuple[int, time]]

    @classmethod
    def of(cls, settings: MealSettings) -> Rules:
        """The rules of a community's typed settings (`await ctx.settings()`)."""
        bands = sorted(((b.min_age, b.max_age, b.subsidy_fen) for b in settings.age_bands), key=lambda b: -b[0])
        cut = settings.cutoffs
        return cls(
            eligible_min_age=settings.eligible_min_age, eligible_tags=frozenset(t.lower() for t in settings.eligible_tags),
            open_to_all=settings.open_to_all_residents, age_bands=tuple(bands),
            tag_subsidies={k.lower(): v for k, v in settings.tag_subsidies.items()},
            per_meal_cap=settings.per_meal_cap_fen, monthly_cap=settings.monthly_cap_fen,
            monthly_budget=settings.monthly_budget_fen, delivery_fee=settings.delivery_fee_fen,
            max_quantity=settings.max_quantity_per_dish, days_ahead=settings.menu_days_ahead,
            tz=timezone(timedelta(hours=settings.utc_offset_hours)),
            cutoffs={m: (c.days_before, time.fromisoformat(c.time))
                     for m, c in (("breakfast", cut.breakfast), ("lunch", cut.lunch), ("dinner", cut.dinner))})

    # -- time ---------------------------------------------------------------------------------
    def today(self, now: datetime) -> date:
        """The community's local calendar date at instant `now`."""
        return now.astimezone(self.tz).date()

    def default_cutoff(self, meal_date: date, meal: str) -> datetime:
        """The order cut-off of a meal from the settings, as a UTC instant."""
        days, at = self.cutoffs[meal]
        return datetime.combine(meal_date - timedelta(days=days), at, self.tz).astimezone(UTC)

    def end_of_day(self, meal_date: date) -> datetime:
        """Local midnight after `meal_date`, as a UTC instant."""
        return datetime.combine(meal_date + timedelta(days=1), time(0, 0), self.tz).astimezone(UTC)


def day_key(d: date) -> datetime:
    """The stored form of a calendar date: midnight UTC."""
    return datetime(d.year, d.month, d.day, tzinfo=UTC)


def day_of(value: datetime | date) -> date:
    """A calendar date back from its stored form."""
    return value.date() if isinstance(value, datetime) else value


def month_of(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def age_on(birth: datetime | date | None, on: date) -> int | None:
    """Whole years of age on a date (None when the birth date is unknown)."""
    if birth is None:
        return None
    b = day_of(birth)
    return on.year - b.year - ((on.month, on.day) < (b.month, b.day))


@dataclass(frozen=True)
class Entitlement:
    """What a diner may get per meal before monthly and budget limits."""

    eligible: bool
    age: int | None
    band_fen: int
    tag_fen: int
    per_meal_fen: int  # band + tags, capped per meal


def entitlement(rules: Rules, birth: datetime | date | None, tags: list[str] | None, on: date) -> Entitlement:
    age = age_on(birth, on)
    tagset = {t.lower() for t in tags or []}  # stored lowercase; settings may spell them as ResidentTag
    eligible = (age is not None and age >= rules.eligible_min_age) or bool(tagset & rules.eligible_tags)
    if not eligible:
        return Entitlement(False, age, 0, 0, 0)
    band = 0
    if age is not None:
        for lo, hi, fen in rules.age_bands:
            if age >= lo and (hi is None or age <= hi):
                band = fen
                break
    extra = sum(rules.tag_subsidies.get(t, 0) for t in sorted(tagset))
    return Entitlement(True, age, band, extra, min(band + extra, rules.per_meal_cap))


@dataclass(frozen=True)
class Grant:
    """The subsidy of one order and what limited it."""

    fen: int
    wanted: int  # the entitlement for this meal (≤ the meal's price)
    limited_by: str | None  # None, "MONTHLY_CAP_REACHED" or "BUDGET_EXHAUSTED"


def grant(rules: Rules, per_meal_fen: int, meal_price_fen: int, used_this_month: int, budget_spent: int) -> Grant:
    """The subsidy for one meal: the entitlement, at most the meal's price, the diner's monthly
    remainder and the community's remaining budget."""
    wanted = max(0, min(per_meal_fen, meal_price_fen))
    monthly_left = max(0, rules.monthly_cap - used_this_month)
    budget_left = max(0, rules.monthly_budget - budget_spent)
    fen = min(wanted, monthly_left, budget_left)
    limited = None
    if fen < wanted:
        limited = "BUDGET_EXHAUSTED" if budget_left < monthly_left else "MONTHLY_CAP_REACHED"
    return Grant(fen, wanted, limited)


def format_address(address: dict[str, Any] | None) -> str | None:
    """A resident's structured address as one line (3栋2单元502)."""
    if not address:
        return None
    parts = [address.get(k) for k in ("building", "unit", "room", "detail")]
    text = "".join(p for p in parts if p)
    return text or None
