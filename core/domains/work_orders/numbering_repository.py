"""The collections behind readable work-order numbers (`numbering.py` holds the rules): the
counter per community and local day (`work_order_counters`, `_id` `<community>:<day>`, `seq`)
and the `work_orders` indexes numbers need."""

from __future__ import annotations

from pymongo import ASCENDING, IndexModel, ReturnDocument
from pymongo.errors import DuplicateKeyError

from community_plus.platform.repository import Repository


class WorkOrderCounters(Repository):
    collection = "work_order_counters"

    async def ensure(self, key: str) -> None:
        """Create the day's counter at 0 (outside any transaction: a concurrent creator is harmless)."""
        try:
            await self.coll.update_one({"_id": key}, {"$setOnInsert": {"seq": 0}}, upsert=True)
        except DuplicateKeyError:
            pass  # a concurrent first order of the day created it

    async def take(self, key: str, session=None) -> int:
        """The next number of the counter (`$inc` is atomic: concurrent takers never share one)."""
        doc = await self.coll.find_one_and_update({"_id": key}, {"$inc": {"seq": 1}},
                                                  return_document=ReturnDocument.AFTER, session=session)
        return int(doc["seq"])

    async def reserve(self, key: str, count: int) -> int:
        """Take `count` numbers at once; returns the first (bulk loads: the demo seed)."""
        doc = await self.coll.find_one_and_update({"_id": key}, {"$inc": {"seq": count}}, upsert=True,
                                                  return_document=ReturnDocument.AFTER)
        return int(doc["seq"]) - count + 1


class NumberedOrders(Repository):
    """The `work_orders` indexes numbering needs: unique per community, and search by number."""

    collection = "work_orders"
    indexes = [IndexModel([("communityId", ASCENDING), ("number", ASCENDING)], unique=True,
                          partialFilterExpression={"number": {"$type": "string"}}, name="number_unique"),
               IndexModel([("number", ASCENDING)], name="number_search")]
