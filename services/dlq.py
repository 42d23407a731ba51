"""Replaying dead letters: ``rolefit dlq replay --topic <input topic>``.

Once the cause of a dead letter is fixed (a limit raised, a parser fixed, a producer
corrected), its records can go back where they came from. Replay reads ``<topic>.dlq`` with
a consumer group of its own, re-publishes each record's original key and bytes to ``<topic>``
with an ``x-rolefit-replayed-from`` header (the dead letter's offset; its partition rides in
``x-rolefit-replayed-from-partition``), and commits each dead letter once that publish is
acknowledged: an interrupted replay resumes where it stopped, a finished one is not repeated.

It stops at the end offsets it saw when it started, so a record that fails again (and lands
at the DLQ's end) waits for the next replay instead of looping. Partitions are assigned, not
subscribed: the group only stores offsets, so there is no join or rebalance to wait for. Run
one replay per topic at a time. Nothing here prints or logs a payload: they hold résumés.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from schemas.topics import DLQ_SUFFIX, dead_letter_topic
from services.platform.dead_letters import HEADER_PREFIX
from services.platform.kafka import CLIENT_ID, client_options, fetch_options, producer_options
from services.platform.settings import KafkaSettings

REPLAYED_FROM = f"{HEADER_PREFIX}replayed-from"
REPLAYED_FROM_PARTITION = f"{HEADER_PREFIX}replayed-from-partition"
_FETCH_MS = 1_000


@dataclass(frozen=True)
class DeadLetter:
    """What an operator may see of a dead letter: where it is, where it came from, and why."""

    partition: int
    offset: int
    original_offset: str
    error_class: str
    reason: str
    size: int


@dataclass
class ReplayReport:
    topic: str
    dry_run: bool
    letters: list[DeadLetter] = field(default_factory=list)


def replay_group(topic: str) -> str:
    return f"{CLIENT_ID}-dlq-replay.{topic}"


def _letter(record: Any) -> DeadLetter:
    headers = {k: v.decode("utf-8", "replace") for k, v in record.headers or ()}
    return DeadLetter(
        partition=record.partition,
        offset=record.offset,
        original_offset=headers.get(f"{HEADER_PREFIX}original-offset", "?"),
        error_class=headers.get(f"{HEADER_PREFIX}error-class", "?"),
        reason=headers.get(f"{HEADER_PREFIX}error-message", ""),
        size=len(record.value or b""),
    )


async def replay(
    settings: KafkaSettings, topic: str, since_offset: int | None = None, dry_run: bool = False
) -> ReplayReport:
    """Replays ``<topic>.dlq`` into ``topic``. ``since_offset``: start every DLQ partition at this
    offset instead of the group's committed position (or the beginning, the first time)."""
    if topic.endswith(DLQ_SUFFIX):
        raise ValueError(f"give the input topic, not its dead-letter topic: {topic!r}")
    source = dead_letter_topic(topic)
    options = client_options(settings)
    consumer = AIOKafkaConsumer(
        group_id=replay_group(topic), enable_auto_commit=False, client_id=f"{CLIENT_ID}-dlq",
        **fetch_options(settings), **options,
    )  # fmt: skip
    producer: AIOKafkaProducer | None = None
    if not dry_run:  # a dry run publishes nothing, and a producer never started is never stopped
        producer = AIOKafkaProducer(client_id=f"{CLIENT_ID}-dlq", **producer_options(settings), **options)
    report = ReplayReport(topic, dry_run)
    await consumer.start()
    try:
        # All-topics metadata: naming a missing topic would make some brokers create it.
        existing = await consumer.topics()
        if source not in existing or topic not in existing:
            raise LookupError(f"{source!r} or {topic!r} does not exist on {settings.bootstrap_servers}")
        partitions = [TopicPartition(source, p) for p in sorted(consumer.partitions_for_topic(source) or ())]
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        await _seek(consumer, partitions, since_offset)
        if producer is not None:
            await producer.start()
        await _drain(consumer, producer, ends, topic, report)
    finally:
        await consumer.stop()
        if producer is not None:
            await producer.stop()
    return report


async def _seek(consumer: AIOKafkaConsumer, partitions: list[TopicPartition], since: int | None) -> None:
    # An explicit offset, never seek_to_beginning: right after assign() the consumer's own pending
    # offset reset can land after that request and win, and the replay would then read nothing.
    begins = await consumer.beginning_offsets(partitions)
    for tp in partitions:
        committed = await consumer.committed(tp)
        start = since if since is not None else committed
        consumer.seek(tp, begins[tp] if start is None else start)


async def _drain(
    consumer: AIOKafkaConsumer,
    producer: AIOKafkaProducer | None,
    ends: dict[TopicPartition, int],
    topic: str,
    report: ReplayReport,
) -> None:
    remaining = {tp for tp in ends if await consumer.position(tp) < ends[tp]}
    while remaining:
        batch = await consumer.getmany(*remaining, timeout_ms=_FETCH_MS)
        for tp, records in batch.items():
            for record in records:
                if record.offset >= ends[tp]:
                    break  # arrived after we started: the next replay's business
                report.letters.append(_letter(record))
                if producer is None:  # a dry run
                    continue
                headers = [
                    (REPLAYED_FROM, str(record.offset).encode()),
                    (REPLAYED_FROM_PARTITION, str(record.partition).encode()),
                ]
                await producer.send_and_wait(topic, value=record.value, key=record.key, headers=headers)
                # Commit after the broker acknowledged the copy: a crash in between replays
                # this record again (at least once), it never loses it.
                await consumer.commit({tp: record.offset + 1})
        remaining = {tp for tp in remaining if await consumer.position(tp) < ends[tp]}
