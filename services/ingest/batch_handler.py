"""``candidate.submitted`` consumed in batches: many records, one model call, per-record outcomes.

Each record is treated as the one-at-a-time handler treats it: undecodable or schema-invalid
bytes and unreadable documents are poison, dead-lettered alone with provenance headers; the others
are indexed and their ``candidate.indexed`` published, in offset order per key. Records that fail
transiently (and later records of the same key) are retried with backoff; once retries are spent
the whole batch is rewound (``nack`` puts every partition back to its first record here) and
nothing is committed. The batch is committed (``ack``) only after every record is durable in the
store and its output or dead letter was acknowledged by the broker (``acks=all``).

The per-message dead-letter middleware is not used here: it would treat the batch as one record.
"""

from __future__ import annotations

import logging
from types import SimpleNamespace
from typing import Any

import anyio
from faststream.kafka import KafkaBroker, KafkaRouter
from faststream.kafka.annotations import KafkaMessage
from faststream.kafka.message import KafkaMessage as OneMessage
from faststream.kafka.parser import AioKafkaParser
from faststream.message import StreamMessage, decode_message

from schemas.events import CandidateIndexedV1, CandidateSubmittedV1
from schemas.topics import Topics, dead_letter_topic
from services.ingest.batching import BatchIndexer
from services.ingest.usecases import Ingest
from services.platform.dead_letters import POISON, provenance_headers
from services.platform.messaging import in_thread, key, per_handler_group, record_time
from services.platform.observability import document_kind, metrics
from services.platform.settings import IngestSettings, RetrySettings, Settings

log = logging.getLogger("rolefit.ingest.batch")
_ONE = AioKafkaParser(msg_class=OneMessage, regex=None)


async def _values(msg: StreamMessage[Any]) -> list[bytes]:
    """The raw bodies: decoding is per record, in the handler, so one bad record stays one."""
    return [record.value or b"" for record in _records(msg)]


def _records(msg: Any) -> list[Any]:
    raw = msg.raw_message
    return list(raw) if isinstance(raw, tuple | list) else [raw]


def _kind(event: CandidateSubmittedV1) -> str:
    return document_kind(event.resume_file.filename if event.resume_file else None)


def batched_candidates(
    broker: KafkaBroker, topics: Topics, ingest: Ingest, consumer: dict[str, Any], settings: Settings
) -> KafkaRouter:
    """The batched subscriber as wired in production: one thread per record of a batch at most."""
    indexer = BatchIndexer(ingest, settings.ingest.batch_max_records, POISON)
    return candidate_batch_router(broker, topics, indexer, consumer, settings.ingest, settings.retry)


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

    # Dead letters published for a batch that is later rewound: its redelivery must not publish
    # them again (one dead letter per record). Cleared once a batch is committed.
    lettered: set[tuple[Any, ...]] = set()

    async def dead_letter(record: Any, exc: BaseException) -> None:
        # Offsets identify a record; key and value too where offsets are not real (TestKafkaBroker).
        where = (record.topic, record.partition, record.offset, record.key, hash(record.value))
        if where in lettered:
            return
        await broker.publish(
            record.value,
            topic=dead_letter_topic(record.topic),
            key=record.key,
            headers=provenance_headers(record, exc),
        )
        log.warning(
            "dead-lettered %s[%s]@%s: %s", record.topic, record.partition, record.offset, type(exc).__name__
        )
        metrics.dead_letter(record.topic, type(exc).__name__)
        lettered.add(where)

    @router.subscriber(
        topics.candidate_submitted,
        batch=True,
        max_records=settings.batch_max_records,
        batch_timeout_ms=settings.batch_timeout_ms,
        decoder=_values,
        **per_handler_group(consumer, "candidate-submitted"),
    )
    async def candidates_submitted(values: list[bytes], msg: KafkaMessage) -> None:
        """Index new or updated résumés, a batch at a time."""
        try:
            pending: list[tuple[Any, CandidateSubmittedV1]] = []
            for record in _records(msg):
                try:
                    # Decoded as FastStream decodes one record (by its content-type): the same
                    # error classes as one at a time.
                    decoded = decode_message(await _ONE.parse_message(record))
                    pending.append((record, CandidateSubmittedV1.model_validate(decoded)))
                except POISON as exc:
                    await dead_letter(record, exc)
            wait = retry.initial_wait_s
            for attempt in range(1, retry.attempts + 1):
                events = [event for _, event in pending]
                times = [record_time(SimpleNamespace(raw_message=record)) for record, _ in pending]
                outcomes = await in_thread(indexer.index, events, times)
                failed = []
                for (record, event), outcome in zip(pending, outcomes, strict=True):
                    if outcome.error is None:
                        done = "indexed" if outcome.indexed is not None else "stale"
                        metrics.document("candidate", _kind(event), done)
                        if outcome.indexed is not None:
                            await indexed_out.publish(outcome.indexed, key=key(event.candidate_id))
                    elif isinstance(outcome.error, POISON):
                        metrics.document("candidate", _kind(event), "rejected")
                        await dead_letter(record, outcome.error)
                    else:
                        failed.append((record, event, outcome.error))
                if not failed:
                    await msg.ack()
                    lettered.clear()
                    return
                pending = [(record, event) for record, event, _ in failed]
                if attempt < retry.attempts:
                    metrics.retry(topics.candidate_submitted, type(failed[0][2]).__name__)
                    await anyio.sleep(wait)
                    wait = min(retry.max_wait_s, wait * 2)
            raise failed[0][2]
        except Exception:
            # Transient and still failing: rewind the batch so nothing past it is committed.
            log.exception("batch of %d from %s failed; rewinding", len(values), topics.candidate_submitted)
            metrics.exhausted(topics.candidate_submitted)
            await msg.nack()

    return router
