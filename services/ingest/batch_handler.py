"""``candidate.submitted`` consumed in batches: many records, one model call, per-record outcomes.

Each record is treated as the one-at-a-time handler treats it: undecodable or schema-invalid
bytes and unreadable documents are poison, dead-lettered alone with provenance headers; the others
are indexed and their ``candidate.indexed`` published, in offset order per key. Records that fail
transiently (and later records of the same key) are retried with backoff. A record is settled once
it is durable in the store and its output or dead letter was acknowledged by the broker
(``acks=all``). When every record is settled the batch is committed (``ack``). When retries run
out, each partition is committed up to its settled prefix and rewound to its first unsettled
record (``services.ingest.settled``); records settled behind that point are skipped when they come
back, so nothing is published twice.

The per-message dead-letter middleware is not used here: it would treat the batch as one record.
"""

from __future__ import annotations

import logging
from types import SimpleNamespace
from typing import Any

import anyio
from faststream.kafka import KafkaBroker, KafkaRouter
from faststream.kafka.annotations import KafkaMessage

from schemas.events import CandidateIndexedV1, CandidateSubmittedV1
from schemas.topics import Topics
from services.ingest.batching import BatchIndexer
from services.ingest.parsing import ParsePool
from services.ingest.usecases import Ingest
from services.platform.batch_records import Delivery, batched
from services.platform.dead_letters import POISON
from services.platform.messaging import in_thread, key, per_handler_group, record_time
from services.platform.observability import document_kind, metrics
from services.platform.settings import IngestSettings, RetrySettings, Settings
from services.platform.settled import Settled

log = logging.getLogger("rolefit.ingest.batch")


def _kind(event: CandidateSubmittedV1) -> str:
    return document_kind(event.resume_file.filename if event.resume_file else None)


def batched_candidates(
    broker: KafkaBroker, topics: Topics, ingest: Ingest, consumer: dict[str, Any], settings: Settings
) -> tuple[KafkaRouter, BatchIndexer]:
    """The batched subscriber as wired in production: one thread per record of a batch at most.
    ``indexer.close`` ends its threads and parse processes."""
    options = settings.ingest
    parser = (
        ParsePool(options.parse_processes, ingest.taxonomy, ingest.limits, ingest.blind)
        if options.parse_processes
        else None
    )
    indexer = BatchIndexer(ingest, options.batch_max_records, POISON, parser)
    return candidate_batch_router(broker, topics, indexer, consumer, options, settings.retry), indexer


def candidate_batch_router(
    broker: KafkaBroker,
    topics: Topics,
    indexer: BatchIndexer,
    consumer: dict[str, Any],
    settings: IngestSettings,
    retry: RetrySettings,
) -> KafkaRouter:
    router = KafkaRouter()
    indexed_out = router.publisher(topics.candidate_indexed, schema=CandidateIndexedV1)

    # Records settled in a delivery that was then (partly) rewound: skipped when they come back.
    settled_before = Settled()

    @router.subscriber(
        topics.candidate_submitted,
        **batched(settings.batch_max_records, settings.batch_timeout_ms),
        **per_handler_group(consumer, "candidate-submitted"),
    )
    async def candidates_submitted(values: list[bytes], msg: KafkaMessage) -> None:
        """Index new or updated résumés, a batch at a time."""
        delivery = Delivery(msg, settled_before)
        records = delivery.records
        try:
            pending = await delivery.decoded(CandidateSubmittedV1, broker.publish)
            wait = retry.initial_wait_s
            for attempt in range(1, retry.attempts + 1):
                events = [event for _, event in pending]
                times = [record_time(SimpleNamespace(raw_message=records[i])) for i, _ in pending]
                outcomes = await in_thread(indexer.index, events, times)
                failed = []
                for (i, event), outcome in zip(pending, outcomes, strict=True):
                    if outcome.error is None:
                        done = "indexed" if outcome.indexed is not None else "stale"
                        metrics.document("candidate", _kind(event), done)
                        if outcome.indexed is not None:
                            await indexed_out.publish(outcome.indexed, key=key(event.candidate_id))
                        delivery.settle(i)
                    elif isinstance(outcome.error, POISON):
                        metrics.document("candidate", _kind(event), "rejected")
                        await delivery.reject(i, outcome.error, broker.publish)
                    else:
                        failed.append((i, event, outcome.error))
                if not failed:
                    break
                pending = [(i, event) for i, event, _ in failed]
                if attempt < retry.attempts:
                    metrics.retry(topics.candidate_submitted, type(failed[0][2]).__name__)
                    await anyio.sleep(wait)
                    wait = min(retry.max_wait_s, wait * 2)
            else:
                raise failed[0][2]
        except Exception:
            # Still failing: what is settled is committed, the rest is read again.
            unsettled = len(records) - len(delivery.settled)
            log.exception("%d of %d records from %s failed; rewinding them", unsettled, len(records),
                          topics.candidate_submitted)  # fmt: skip
            metrics.exhausted(topics.candidate_submitted)
        await delivery.commit()

    return router
