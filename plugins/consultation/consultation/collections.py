"""The module's collections and the index behind every query path (`communityId` first:
the datastore scopes every query to the community). The unique indexes make "one vote and
one written opinion per resident and topic" a database rule, not a hope, and serve the
lookups of a resident's own vote and opinion."""

from __future__ import annotations

from community_plus_sdk import CollectionSpec

C = ("communityId", 1)

COLLECTIONS = [
    CollectionSpec("topics", indexes=[
        [C, ("_id", -1)],                                  # the list, newest first
        [C, ("state", 1), ("deadline", 1), ("_id", -1)],   # OPEN / CLOSED / RESOLVED filters
        [C, ("gridId", 1), ("_id", -1)],                   # a grid's topics
        [C, ("kind", 1), ("_id", -1)],
        [C, ("state", 1), ("resolvedAt", -1), ("_id", -1)],  # the archive (by year)
        [C, ("createdAt", 1)],                              # dashboard window (resolutions: the archive index)
    ]),
    CollectionSpec("votes", indexes=[
        [C, ("topicId", 1), ("optionId", 1), ("gridId", 1)],  # the tally, and the voters to notify
        [C, ("castAt", 1)],                                  # dashboard windows
    ], unique=[[("topicId", 1), ("residentId", 1)]]),
    CollectionSpec("opinions", indexes=[
        [C, ("topicId", 1), ("_id", -1)],  # the list, and the writers to notify
        [C, ("createdAt", 1)],
    ], unique=[[("topicId", 1), ("residentId", 1)]]),
]
