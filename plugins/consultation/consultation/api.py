"""Queries, mutations and the live-results subscription of 居民议事 (thin resolvers)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator

import strawberry

from community_plus_sdk import ForbiddenError
from community_plus_sdk.relay import Connection

from . import listing
from .ballots import RESULTS_TOPIC, BallotService, results_visible, tally
from .manifest import module
from .opinions import OpinionService
from .participation import eligible_counts
from .topics import TopicDraft, TopicService
from .types import (ConsultationOpinion, ConsultationResults, ConsultationResultsEvent, ConsultationTopic,
                    ConsultationTopicFilter, ConsultationVote, OpenConsultationTopicInput,
                    UpdateConsultationTopicInput)


async def _results(ctx, topic: dict) -> ConsultationResults:
    if not results_visible(ctx, topic, (await ctx.settings())["liveResults"]):
        raise ForbiddenError("投票截止后公布结果 (results are shown after the deadline)", reason="RESULTS_HIDDEN")
    counts = topic.get("finalTally") or await tally(ctx, topic)
    return ConsultationResults.of(topic, counts, await eligible_counts(ctx, topic))


@strawberry.type
class ConsultationQuery:
    @strawberry.field(description="The community's topics, newest first (every member of the community).")
    async def consultation_topics(self, info: strawberry.Info, filter: ConsultationTopicFilter | None = None,
                                  first: int = 20, after: str | None = None) -> Connection[ConsultationTopic]:
        ctx, f = module.context(info), filter or ConsultationTopicFilter()
        query = listing.topic_query(ctx.now(), f.state.value if f.state else None, f.kind.value if f.kind else None,
                                    f.grid_id)
        return await listing.topics(ctx, query, first, after, ConsultationTopic.of)

    @strawberry.field(description="议事档案: the topics resolved in a year (China time), newest first.")
    async def consultation_archive(self, info: strawberry.Info, year: int, first: int = 20,
                                   after: str | None = None) -> Connection[ConsultationTopic]:
        return await listing.topics(module.context(info), listing.archive_query(year), first, after,
                                    ConsultationTopic.of)

    @strawberry.field(description="One topic, with the viewer's own vote.")
    async def consultation_topic(self, info: strawberry.Info, id: strawberry.ID) -> ConsultationTopic:
        ctx = module.context(info)
        topic = await TopicService(ctx).get(id)
        return ConsultationTopic.of(topic, (await BallotService(ctx).mine([topic["_id"]])).get(topic["_id"]))

    @strawberry.field(description="Anonymous results, overall and per grid (residents: live unless the community "
                                  "shows them only after the deadline).")
    async def consultation_results(self, info: strawberry.Info, topic_id: strawberry.ID) -> ConsultationResults:
        ctx = module.context(info)
        return await _results(ctx, await TopicService(ctx).get(topic_id, "topicId"))

    @strawberry.field(description="Written opinions on a topic, newest first (staff).")
    async def consultation_opinions(self, info: strawberry.Info, topic_id: strawberry.ID, first: int = 20,
                                    after: str | None = None) -> Connection[ConsultationOpinion]:
        return await OpinionService(module.context(info)).list(topic_id, first, after, ConsultationOpinion.of)

    @strawberry.field(description="The viewer's own written opinion on a topic.")
    async def my_consultation_opinion(self, info: strawberry.Info,
                                      topic_id: strawberry.ID) -> ConsultationOpinion | None:
        ctx = module.context(info)
        topic = await TopicService(ctx).get(topic_id, "topicId")
        row = await OpinionService(ctx).mine(topic["_id"])
        return ConsultationOpinion.of(row) if row else None


@strawberry.type
class ConsultationMutation:
    @strawberry.mutation(description="Open a topic (community admins; grid workers for their own grid).")
    async def open_consultation_topic(self, info: strawberry.Info,
                                      input: OpenConsultationTopicInput) -> ConsultationTopic:
        draft = TopicDraft(kind=input.kind.value, title=input.title, body=input.body, options=input.options,
                           audience=input.audience.value, grid_id=input.grid_id, deadline=input.deadline,
                           hearing_at=input.hearing_at, location=input.location)
        return ConsultationTopic.of(await TopicService(module.context(info)).open(draft))

    @strawberry.mutation(description="Edit an open topic: title, text, deadline, hearing details; options only "
                                     "before the first vote (community admins; grid workers for their own grid).")
    async def update_consultation_topic(self, info: strawberry.Info, id: strawberry.ID,
                                        input: UpdateConsultationTopicInput) -> ConsultationTopic:
        changes = {k: v for k, v in vars(input).items() if v is not None and v is not strawberry.UNSET}
        return ConsultationTopic.of(await TopicService(module.context(info)).update(id, changes))

    @strawberry.mutation(description="Vote, or change one's vote, until the deadline (eligible residents).")
    async def cast_consultation_vote(self, info: strawberry.Info, topic_id: strawberry.ID,
                                     option_id: strawberry.ID) -> ConsultationVote:
        _, vote = await BallotService(module.context(info)).cast(topic_id, option_id)
        return ConsultationVote.of(vote)

    @strawberry.mutation(description="Write (or rewrite) one's opinion until the deadline (eligible residents).")
    async def submit_consultation_opinion(self, info: strawberry.Info, topic_id: strawberry.ID,
                                          text: str) -> ConsultationOpinion:
        return ConsultationOpinion.of(await OpinionService(module.context(info)).submit(topic_id, text))

    @strawberry.mutation(description="Publish the resolution after the deadline; every participant is notified.")
    async def resolve_consultation_topic(self, info: strawberry.Info, id: strawberry.ID,
                                         resolution: str) -> ConsultationTopic:
        return ConsultationTopic.of(await TopicService(module.context(info)).resolve(id, resolution, tally))


@strawberry.type
class ConsultationSubscription:
    @strawberry.subscription(description="A topic's anonymous results: the current state first, then every change.")
    async def consultation_results_changed(self, info: strawberry.Info, topic_id: strawberry.ID,
                                           after: str | None = None) -> AsyncGenerator[ConsultationResultsEvent, None]:
        ctx = module.context(info)
        topic = await TopicService(ctx).get(topic_id, "topicId")
        eligible = await eligible_counts(ctx, topic)  # counted once per subscription
        events = ctx.subscribe(RESULTS_TOPIC, after=after).__aiter__()
        pending = asyncio.ensure_future(events.__anext__())  # listen before reading the snapshot: nothing lost
        try:
            await asyncio.sleep(0)
            yield ConsultationResultsEvent(cursor=after, results=await _results(ctx, topic))
            while True:
                try:
                    event = await pending
                except StopAsyncIteration:  # the module was switched off: the stream ended
                    return
                pending = asyncio.ensure_future(events.__anext__())
                if event.data.get("topicId") == topic["_id"]:
                    yield ConsultationResultsEvent(cursor=event.cursor,
                                                   results=ConsultationResults.of(topic, event.data["tally"], eligible))
        finally:
            pending.cancel()
            with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
                await pending
            await events.aclose()
