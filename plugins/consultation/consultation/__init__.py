"""居民议事 (协商议事) — a Community+ module built on `community_plus_sdk` only.

The community (or a grid) opens topics: votes with options, hearings and evaluations (评议),
each with a deadline and the residents who may take part (all registered residents, household
heads, or one grid's residents). One vote per eligible resident, changeable until the
deadline; anonymous results, overall and per grid, live over a subscription; written
opinions; the resolution published after the deadline and sent to every participant; an
archive per year; participation on the dashboard.
"""

from __future__ import annotations

from community_plus_sdk import GraphQLContribution, Topic, hookimpl

from .api import ConsultationMutation, ConsultationQuery, ConsultationSubscription
from .ballots import RESULTS_TOPIC
from .collections import COLLECTIONS
from .demo import seed
from .manifest import module
from .stats import dashboard

__version__ = module.version


@hookimpl
def register_module():
    return module


@hookimpl
def register_graphql():
    return GraphQLContribution(queries=[ConsultationQuery], mutations=[ConsultationMutation],
                               subscriptions=[ConsultationSubscription])


@hookimpl
def register_collections():
    return COLLECTIONS


@hookimpl
def register_topics():
    return [Topic(RESULTS_TOPIC, "议题投票结果变化 (a topic's anonymous results changed)")]


@hookimpl
async def dashboard_statistics(ctx, community_id, since, until):
    return await dashboard(ctx, since, until)


@hookimpl
async def seed_demo_data(ctx, community_id):
    await seed(ctx, community_id)
