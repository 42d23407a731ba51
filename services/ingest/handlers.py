"""Kafka entrypoints of the ingest service: decode → use-case → publish → ack."""

from __future__ import annotations

from typing import Any

from faststream.kafka import KafkaBroker, KafkaRouter
from faststream.kafka.annotations import KafkaMessage

from schemas.events import (
    CandidateErasedV1,
    CandidateIndexedV1,
    CandidateSubmittedV1,
    JobClosedV1,
    JobIndexedV1,
    JobPostedV1,
)
from schemas.topics import Topics
from services.ingest.usecases import Ingest
from services.platform.dead_letters import POISON
from services.platform.messaging import in_thread, key, per_handler_group, record_time, service_router
from services.platform.observability import document_kind, metrics
from services.platform.settings import RetrySettings


def ingest_router(
    broker: KafkaBroker,
    topics: Topics,
    ingest: Ingest,
    consumer: dict[str, Any],
    retry: RetrySettings | None = None,
    per_record_candidates: bool = True,
) -> KafkaRouter:
    """``per_record_candidates=False``: candidate.submitted is left to the batched subscriber
    (``services.ingest.batch_handler``)."""
    router = service_router(broker, retry)
    candidates_indexed = router.publisher(topics.candidate_indexed, schema=CandidateIndexedV1)
    jobs_indexed = router.publisher(topics.job_indexed, schema=JobIndexedV1)

    async def candidate_submitted(event: CandidateSubmittedV1, msg: KafkaMessage) -> None:
        """Index a new or updated résumé."""
        file = event.resume_file
        kind = document_kind(file.filename if file else None)
        # Counted once the record is done: a transient failure retries and counts on success.
        with metrics.document_outcome("candidate", kind, POISON) as outcome:
            indexed = await in_thread(ingest.index_candidate, event, record_time(msg))
            outcome.value = "stale" if indexed is None else "indexed"
            if indexed is not None:
                await candidates_indexed.publish(indexed, key=key(event.candidate_id))
            await msg.ack()

    if per_record_candidates:
        group = per_handler_group(consumer, "candidate-submitted")
        router.subscriber(topics.candidate_submitted, **group)(candidate_submitted)

    @router.subscriber(topics.job_posted, **per_handler_group(consumer, "job-posted"))
    async def job_posted(event: JobPostedV1, msg: KafkaMessage) -> None:
        """Index a new or updated job description."""
        with metrics.document_outcome("job", "text", POISON) as outcome:
            indexed = await in_thread(ingest.index_job, event, record_time(msg))
            outcome.value = "stale" if indexed is None else "indexed"
            if indexed is not None:
                await jobs_indexed.publish(indexed, key=key(event.job_id))
            await msg.ack()

    @router.subscriber(topics.job_closed, **per_handler_group(consumer, "job-closed"))
    async def job_closed(event: JobClosedV1, msg: KafkaMessage) -> None:
        """Keep the job for audit but stop matching it."""
        await in_thread(ingest.close_job, event.job_id)
        await msg.ack()

    @router.subscriber(topics.candidate_erased, **per_handler_group(consumer, "candidate-erased"))
    async def candidate_erased(event: CandidateErasedV1, msg: KafkaMessage) -> None:
        """Right to erasure: remove every point of the candidate, then tell the matcher."""
        if await in_thread(ingest.erase_candidate, event.candidate_id, record_time(msg)):
            # A tombstone (key, null value) on candidate.indexed: compacted consumers forget
            # the candidate, and the matcher, reading it after the points are gone, corrects
            # the shortlists they were on. Input-topic tombstones are the ATS's to write.
            await candidates_indexed.publish(None, key=key(event.candidate_id))
        await msg.ack()

    return router
