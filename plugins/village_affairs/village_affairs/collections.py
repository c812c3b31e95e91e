"""The module's collections and the index behind every query path (`communityId` first: the
datastore scopes every query to the community). Unique indexes make "one read per person"
and "one catalogue item per year, category and title" database rules."""

from __future__ import annotations

from community_plus_sdk import CollectionSpec

C = ("communityId", 1)

COLLECTIONS = [
    CollectionSpec("disclosures", indexes=[
        [C, ("_id", -1)],                                                   # staff: everything, newest first
        [C, ("withdrawn", 1), ("publishAt", 1), ("_id", -1)],               # residents: what is public now
        [C, ("category", 1), ("withdrawn", 1), ("publishAt", 1), ("_id", -1)],
        [C, ("category", 1), ("_id", -1)],
        [C, ("requirementId", 1), ("period", 1)],                           # the catalogue
        [C, ("withdrawn", 1), ("requirementId", 1)],                        # its public disclosures
        [C, ("withdrawn", 1), ("expiresAt", 1), ("publishAt", 1)],          # public now, never expiring
        [C, ("publishAt", 1)],                                              # dashboard windows
    ]),
    CollectionSpec("reads", indexes=[[C, ("readAt", 1)]], unique=[[("disclosureId", 1), ("userId", 1)]]),
    CollectionSpec("questions", indexes=[
        [C, ("disclosureId", 1), ("_id", -1)],
        [C, ("state", 1), ("_id", -1)],                                     # staff: the unanswered queue
        [C, ("askerUserId", 1), ("_id", -1)],
        [C, ("createdAt", 1)], [C, ("answeredAt", 1)],
    ]),
    CollectionSpec("requirements", indexes=[[C, ("year", 1), ("_id", -1)]],
                   unique=[[("year", 1), ("category", 1), ("title", 1)]]),
]
