"""The yearly disclosure catalogue (年度公开目录): what must be disclosed, how often, and per
period whether it was disclosed on time, late, is scheduled, still pending or OVERDUE. A
period is due `graceDays` after it ends (China time)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from community_plus_sdk import ConflictError, ModuleContext
from community_plus_sdk.clock import as_utc

from . import periods
from .access import member
from .checks import raise_if_any, text

DISCLOSED, DISCLOSED_LATE, SCHEDULED, PENDING, OVERDUE = "disclosed", "disclosed_late", "scheduled", "pending", "overdue"
STANDARD = [  # after the national village-affairs disclosure catalogue: what every village publishes
    ("finances", "村集体财务收支情况", periods.MONTHLY),
    ("assets", "集体资产资源经营管理情况", periods.YEARLY),
    ("projects", "村级工程项目建设情况", periods.QUARTERLY),
    ("subsidies", "惠农补贴资金发放情况", periods.QUARTERLY),
    ("decisions", "村级重大事项决策及实施情况", periods.QUARTERLY),
]


@dataclass
class CatalogueEntry:
    requirement: dict[str, Any]
    period: str
    due_at: datetime
    status: str
    disclosure: dict[str, Any] | None


def check_year(year: int, path: str = "year") -> int:
    if not 1900 <= year <= 2998:
        raise_if_any({path: "年份应在1900到2998之间 (a year between 1900 and 2998)"})
    return year


class CatalogueService:
    def __init__(self, ctx: ModuleContext) -> None:
        self.ctx = ctx
        self.requirements = ctx.collection("requirements")

    async def save(self, year: int, category: str, title: str, frequency: str) -> dict[str, Any]:
        """Add an item to a year's catalogue; the same item again returns it unchanged."""
        self.ctx.require_permission("village_affairs.catalogue.manage")
        problems: dict[str, str] = {}
        check_year(year, "input.year")
        title = text(problems, "input.title", title, 80, required=True)
        raise_if_any(problems)
        key = {"year": year, "category": category, "title": title}
        found = await self.requirements.find_one(key)
        if found is not None:
            if found["frequency"] != frequency:
                raise ConflictError("目录中已有该项 (the catalogue already lists this item)", reason="ALREADY_LISTED")
            return found
        try:
            row = await self.requirements.insert({**key, "frequency": frequency})
        except ConflictError:  # a racing save of the same item
            return await self.requirements.find_one(key)
        await self.ctx.audit("list", "VillageDisclosureRequirement", row, ["year", "category", "title", "frequency"])
        return row

    async def adopt_standard(self, year: int) -> list[dict[str, Any]]:
        """Add the standard items missing from a year's catalogue (idempotent)."""
        return [await self.save(year, category, title, frequency) for category, title, frequency in STANDARD]

    async def entries(self, year: int, *, system: bool = False) -> list[CatalogueEntry]:
        """Every period of every item of a year (members of the community; `system` for hooks)."""
        if not system:
            member(self.ctx)
        check_year(year)
        items = await self.requirements.find({"year": year}, sort=[("_id", 1)], limit=200)
        disclosures = await self.ctx.collection("disclosures").find(
            {"requirementId": {"$in": [r["_id"] for r in items]}, "withdrawn": False}, limit=1000) if items else []
        by_period: dict[tuple[str, str], dict[str, Any]] = {}
        for d in sorted(disclosures, key=lambda d: d["publishAt"]):
            by_period.setdefault((d["requirementId"], d["period"]), d)  # the earliest counts
        grace = timedelta(days=(await self.ctx.settings())["graceDays"])
        now = self.ctx.now()
        out = []
        for item in items:
            for period, ends in periods.periods(year, item["frequency"]):
                due = (ends + grace).astimezone(UTC)
                found = by_period.get((item["_id"], period))
                out.append(CatalogueEntry(item, period, due, status(found, due, now), found))
        return out


def status(disclosure: dict[str, Any] | None, due: datetime, now: datetime) -> str:
    if disclosure is not None:
        published = as_utc(disclosure["publishAt"])
        if published <= now:
            return DISCLOSED if published <= due else DISCLOSED_LATE
        if now <= due:
            return SCHEDULED
    return OVERDUE if now > due else PENDING
