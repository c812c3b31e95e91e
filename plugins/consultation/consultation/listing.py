"""Lists of topics: the community's topics (filtered by state, kind, grid) and the archive
of resolved topics per year (China Standard Time)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from community_plus_sdk import ModuleContext, UserInputError
from community_plus_sdk.clock import CHINA
from community_plus_sdk.relay import Connection, connection, paginate

from .ballots import BallotService
from .checks import valid_id
from .topics import RESOLVED, state_filter

def year_window(year: int) -> dict[str, datetime]:
    if not 1900 <= year <= 2999:
        raise UserInputError({"year": "年份应在1900到2999之间 (a year between 1900 and 2999)"})
    start = datetime(year, 1, 1, tzinfo=CHINA)
    return {"$gte": start, "$lt": start.replace(year=year + 1)}


async def topics(ctx: ModuleContext, query: dict[str, Any], first: int, after: str | None, make) -> Connection[Any]:
    """A page of topics with the viewer's own choices (one extra query for the page)."""
    ctx.require_caller()
    found = await paginate(ctx.collection("topics"), query, first, after)
    mine = await BallotService(ctx).mine([d["_id"] for d in found.docs])
    return connection(found, lambda d: make(d, mine.get(d["_id"])))


def topic_query(now: datetime, state: str | None, kind: str | None, grid_id: str | None) -> dict[str, Any]:
    query: dict[str, Any] = state_filter(state, now) if state else {}
    if kind:
        query["kind"] = kind
    if grid_id is not None:
        query["gridId"] = valid_id("filter.gridId", grid_id)
    return query


def archive_query(year: int) -> dict[str, Any]:
    return {"state": RESOLVED, "resolvedAt": year_window(year)}
