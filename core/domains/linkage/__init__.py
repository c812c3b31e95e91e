"""Linkage command (联动指挥): a work order the community cannot resolve is escalated up the
region tree (community → street → district …) or dispatched to a functional department
(职能部门, an organisation unit under a region with its own staff and queue), each hop with a
reason and its level's due time (`CP_LINKAGE_DUE_HOURS`); a holder can hand it back down with
instructions; every hop is on the order's timeline and in `linkage_hops` (statistics);
overdue hops alert the level above through the outbox (a periodic job)."""
