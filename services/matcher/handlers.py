"""Kafka entrypoints of the matcher service: decode → use-case → publish shortlists → ack."""

from __future__ import annotations

from typing import Any

from faststream.kafka import KafkaBroker, KafkaRouter
from faststream.kafka.annotations import KafkaMessage

from schemas.events import (
    CandidateIndexedV1,
    JobClosedV1,
    JobIndexedV1,
    MatchRequestedV1,
    ShortlistPublishedV1,
)
from schemas.topics import Topics
from services.matcher.outbox import shortlist_outbox
from services.matcher.usecases import Matcher
from services.platform.messaging import (
    in_thread,
    per_handler_group,
    record_time,
    service_router,
    tombstone_as_none,
    tombstone_key,
)
from services.platform.settings import RetrySettings


def matcher_router(
    broker: KafkaBroker,
    topics: Topics,
    matcher: Matcher,
    consumer: dict[str, Any],
    retry: RetrySettings | None = None,
    per_record_requests: bool = True,
) -> KafkaRouter:
    """``per_record_requests=False``: match.requested is left to the batched subscriber
    (``services.matcher.request_batches``)."""
    router = service_router(broker, retry)
    publish_decided = shortlist_outbox(router, topics, matcher)

    async def publish(shortlist: ShortlistPublishedV1 | None) -> None:
        if shortlist is not None:
            await publish_decided([(shortlist, matcher.decisions.take(shortlist))])

    @router.subscriber(topics.job_indexed, **per_handler_group(consumer, "job-indexed"))
    async def job_indexed(event: JobIndexedV1, msg: KafkaMessage) -> None:
        """A job is new or changed: publish its shortlist."""
        await publish(await in_thread(matcher.shortlist, event.job_id, "job_indexed", record_time(msg)))
        await msg.ack()

    async def match_requested(event: MatchRequestedV1, msg: KafkaMessage) -> None:
        """Someone asked for a fresh shortlist."""
        shortlist = await in_thread(
            matcher.shortlist, event.job_id, "match_requested", record_time(msg), event.top_k
        )
        await publish(shortlist)
        await msg.ack()

    if per_record_requests:
        router.subscriber(topics.match_requested, **per_handler_group(consumer, "match-requested"))(
            match_requested
        )

    @router.subscriber(
        topics.candidate_indexed,
        decoder=tombstone_as_none,
        **per_handler_group(consumer, "candidate-indexed"),
    )
    async def candidate_indexed(event: CandidateIndexedV1 | None, msg: KafkaMessage) -> None:
        """A candidate arrived, changed or was erased (a tombstone): update their shortlists."""
        # Ingest writes the tombstone after deleting the points, so recomputing now drops them.
        if event is None:
            updates = await in_thread(matcher.forget_candidate, tombstone_key(msg), record_time(msg))
        else:
            updates = await in_thread(matcher.rematch_candidate, event.candidate_id, record_time(msg))
        for shortlist in updates:
            await publish(shortlist)
        await msg.ack()

    @router.subscriber(topics.job_closed, **per_handler_group(consumer, "job-closed"))
    async def job_closed(event: JobClosedV1, msg: KafkaMessage) -> None:
        """Stop re-matching a closed job."""
        matcher.close(event.job_id)
        await msg.ack()

    return router
