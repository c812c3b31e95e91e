"""The module's own collections (besides the models') and the index behind every query path."""

from __future__ import annotations

from community_plus_sdk import CollectionSpec

C = ("communityId", 1)

COLLECTIONS = [
    CollectionSpec("elders", indexes=[[C, ("_id", -1)], [C, ("guardianResidentIds", 1)],
                                      [C, ("gridId", 1), ("_id", -1)], [C, ("active", 1), ("_id", -1)]],
                   sealed=("contactPhone",)),  # people's numbers: encrypted at rest, masked on read
    CollectionSpec("care_workers", indexes=[[C, ("providerId", 1), ("_id", -1)], [C, ("userId", 1)],
                                            [C, ("userId", 1), ("active", 1)],
                                            [C, ("bindingCode", 1)]], sealed=("phone",)),
    CollectionSpec("orders", indexes=[
        [C, ("_id", -1)], [C, ("state", 1), ("_id", -1)], [C, ("elderId", 1), ("_id", -1)],
        [C, ("elderId", 1), ("month", 1), ("slotStart", 1)], [C, ("providerId", 1), ("month", 1)],
        [C, ("providerId", 1), ("state", 1), ("_id", -1)], [C, ("workerId", 1), ("slotStart", 1)],
        [C, ("gridId", 1), ("_id", -1)], [C, ("createdAt", 1)], [C, ("state", 1), ("createdAt", 1)], [C, ("completedAt", 1)], [C, ("confirmedAt", 1)],
        [("state", 1), ("overdueAlertedAt", 1), ("slotStart", 1)],  # run_periodic scans every community
    ]),
    CollectionSpec("subsidy_usage", indexes=[[C, ("month", 1)]]),
    CollectionSpec("subsidy_budgets", indexes=[[C, ("month", 1)]]),
    CollectionSpec("subsidy_ledger", indexes=[[C, ("orderId", 1)], [C, ("month", 1), ("elderId", 1)]]),
    CollectionSpec("order_keys"),
    CollectionSpec("alerts", indexes=[[C, ("state", 1), ("_id", -1)], [C, ("gridId", 1), ("state", 1), ("_id", -1)],
                                      [C, ("raisedAt", 1)]]),
]
