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
from aiokafka import TopicPartition
from faststream.kafka import KafkaBroker, KafkaRouter
from faststream.kafka.annotations import KafkaMessage
from faststream.kafka.message import KafkaMessage as OneMessage
from faststream.kafka.parser import AioKafkaParser
from faststream.message import StreamMessage, decode_message

from schemas.events import CandidateIndexedV1, CandidateSubmittedV1
from schemas.topics import Topics
from services.ingest.batching import BatchIndexer
from services.ingest.parsing import ParsePool
from services.ingest.settled import Partition, Settled, resume_at, rewound
from services.ingest.usecases import Ingest
from services.platform.dead_letters import POISON, dead_letter
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
        batch=True,
        max_records=settings.batch_max_records,
        batch_timeout_ms=settings.batch_timeout_ms,
        decoder=_values,
        **per_handler_group(consumer, "candidate-submitted"),
    )
    async def candidates_submitted(values: list[bytes], msg: KafkaMessage) -> None:
        """Index new or updated résumés, a batch at a time."""
        records = _records(msg)
        settled: set[int] = set()  # positions in records

        def settle(i: int) -> None:
            settled.add(i)
            settled_before.add(records[i])

        try:
            pending: list[tuple[int, CandidateSubmittedV1]] = []
            for i, record in enumerate(records):
                if record in settled_before:
                    settled.add(i)
                    continue
                try:
                    # Decoded as FastStream decodes one record (by its content-type): the same
                    # error classes as one at a time.
                    decoded = decode_message(await _ONE.parse_message(record))
                    pending.append((i, CandidateSubmittedV1.model_validate(decoded)))
                except POISON as exc:
                    await dead_letter(broker.publish, record, exc)
                    settle(i)
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
                        settle(i)
                    elif isinstance(outcome.error, POISON):
                        metrics.document("candidate", _kind(event), "rejected")
                        await dead_letter(broker.publish, records[i], outcome.error)
                        settle(i)
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
            unsettled = len(records) - len(settled)
            log.exception("%d of %d records from %s failed; rewinding them", unsettled, len(records),
                          topics.candidate_submitted)  # fmt: skip
            metrics.exhausted(topics.candidate_submitted)
        await _commit_settled(msg, records, settled, settled_before)

    return router


async def _commit_settled(msg: Any, records: list[Any], settled: set[int], seen: Settled) -> None:
    """Rewind each partition to its first unsettled record, then commit every partition's position:
    the settled prefix where something failed, the whole batch elsewhere. When no partition moved
    on, nothing is committed: the rewind alone (FastStream's ``nack`` would rewind every partition
    to the batch start, settled prefixes included)."""
    back = rewound(records, settled)
    for tp, offset in back.items():
        msg.consumer.seek(partition=TopicPartition(tp.topic, tp.partition), offset=offset)
    positions = resume_at(records, settled)
    if not back or any(_advanced(records, tp, offset) for tp, offset in positions.items()):
        await msg.ack()
        seen.forget_before(positions)


def _advanced(records: list[Any], tp: Partition, offset: int) -> bool:
    return offset > min(r.offset for r in records if (r.topic, r.partition) == tp)
