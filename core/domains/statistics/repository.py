"""The work-order figures of a scope over a time window: one `$facet` aggregation over an
index-backed `$match` (the indexes are the work orders' own, declared by their repository)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from pymongo import IndexModel

from community_plus.platform.repository import Repository

COUNTED = ["submitted", "accepted", "assigned", "in_progress", "resolved", "closed"]


class WorkOrderFiguresRepository(Repository):
    collection = "work_orders"
    indexes: ClassVar[list[IndexModel]] = []  # work_orders/repository.py declares them

    async def facets(self, field: str, value: str, since: datetime, until: datetime,
                     now: datetime) -> dict[str, list[dict[str, Any]]]:
        """Orders created in [since, until) whose `field` is `value` (gridId, communityId or
        regionPath), per state, item, priority group and channel; handling hours, ratings and
        how many were late at `now`."""
        late = {"$gt": [{"$ifNull": ["$resolvedAt", now]}, "$dueAt"]}
        counted = {"$in": ["$state", COUNTED]}
        pipeline = [
            {"$match": {field: value, "createdAt": {"$gte": since, "$lt": until}}},
            {"$facet": {
                "byState": [{"$group": {"_id": "$state", "count": {"$sum": 1}}}],
                "byItem": [{"$group": {"_id": "$itemId", "title": {"$first": "$title"}, "count": {"$sum": 1}}},
                           {"$sort": {"count": -1, "_id": 1}}, {"$limit": 50}],
                "handling": [
                    {"$match": {"resolvedAt": {"$ne": None}}},
                    {"$project": {"hours": {"$divide": [{"$subtract": ["$resolvedAt", "$createdAt"]}, 3_600_000]}}},
                    {"$group": {"_id": None, "n": {"$sum": 1},
                                "p": {"$percentile": {"input": "$hours", "p": [0.5, 0.9], "method": "approximate"}}}}],
                "rating": [{"$match": {"rating.score": {"$ne": None}}},
                           {"$group": {"_id": None, "avg": {"$avg": "$rating.score"}, "n": {"$sum": 1}}}],
                "overdue": [{"$match": {"dueAt": {"$ne": None}}},
                            {"$group": {"_id": None, "late": {"$sum": {"$cond": [{"$and": [late, counted]}, 1, 0]}},
                                        "n": {"$sum": {"$cond": [counted, 1, 0]}}}}],
                "byGroup": [{"$unwind": "$residentTags"},
                            {"$group": {"_id": "$residentTags", "count": {"$sum": 1}}}, {"$sort": {"_id": 1}}],
                "byChannel": [{"$group": {"_id": {"$ifNull": ["$channel", "mini_program"]}, "count": {"$sum": 1}}}],
            }},
        ]
        return (await (await self.coll.aggregate(pipeline, allowDiskUse=True)).to_list())[0]
