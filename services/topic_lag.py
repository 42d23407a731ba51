"""Read-only Kafka helpers for the people-facing CLI: bounded connects, topic offsets, group lag.

Every client here is throwaway: no group membership, nothing committed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaConnectionError, KafkaError, KafkaTimeoutError

from services.platform.kafka import CLIENT_ID, client_options
from services.platform.settings import KafkaSettings

CONNECT_TIMEOUT_S = 10.0
T = TypeVar("T")


class BrokerUnavailableError(RuntimeError):
    """The cluster did not answer within the connect timeout."""


async def bounded(settings: KafkaSettings, start: Awaitable[T], timeout_s: float = CONNECT_TIMEOUT_S) -> T:
    """Await a client's start (or first call) for at most ``timeout_s``; turn failures into one error."""
    try:
        return await asyncio.wait_for(start, timeout_s)
    except (TimeoutError, KafkaConnectionError, KafkaTimeoutError, OSError) as exc:
        raise BrokerUnavailableError(
            f"Kafka at {settings.bootstrap_servers} is unreachable "
            f"({type(exc).__name__}: {exc or 'no answer in time'})"
        ) from exc


def throwaway_consumer(settings: KafkaSettings, **kwargs: Any) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        **client_options(settings),
        client_id=f"{CLIENT_ID}-cli",
        group_id=None,
        enable_auto_commit=False,
        request_timeout_ms=int(CONNECT_TIMEOUT_S * 1000),
        **kwargs,
    )


async def partitions_of(consumer: AIOKafkaConsumer, topic: str) -> list[TopicPartition]:
    await consumer.topics()  # refreshes metadata for every topic
    partitions = consumer.partitions_for_topic(topic) or set()
    if not partitions:
        raise LookupError(f"topic {topic!r} does not exist on the cluster")
    return [TopicPartition(topic, p) for p in sorted(partitions)]


@dataclass
class TopicRow:
    topic: str
    partitions: int
    end_offset: int
    lag: dict[str, int] = field(default_factory=dict)  # group -> summed lag over partitions


async def topic_overview(settings: KafkaSettings) -> list[TopicRow]:
    """Every topic under our prefix with partitions, summed end offsets and lag per consumer group
    that has committed offsets on it."""
    consumer = throwaway_consumer(settings)
    try:
        await bounded(settings, consumer.start())
        names = sorted(t for t in await consumer.topics() if t.startswith(settings.topic_prefix))
        tps = [TopicPartition(t, p) for t in names for p in sorted(consumer.partitions_for_topic(t) or ())]
        ends: dict[TopicPartition, int] = await consumer.end_offsets(tps) if tps else {}
    finally:
        await consumer.stop()
    rows = {t: TopicRow(t, sum(1 for tp in tps if tp.topic == t), 0) for t in names}
    for tp, end in ends.items():
        rows[tp.topic].end_offset += end
    admin = AIOKafkaAdminClient(**client_options(settings), client_id=f"{CLIENT_ID}-cli-admin")
    try:
        await bounded(settings, admin.start())
        groups = sorted(str(g[0]) for g in await admin.list_consumer_groups())
        for group in groups:
            # Tansu drops the connection when partitions are left out (see platform/kafka.py).
            try:
                offsets = await admin.list_consumer_group_offsets(group, partitions=tps) if tps else {}
            except KafkaError:
                continue
            for tp, meta in offsets.items():
                if meta.offset < 0 or tp not in ends:
                    continue
                row = rows[tp.topic]
                row.lag[group] = row.lag.get(group, 0) + max(ends[tp] - meta.offset, 0)
    finally:
        await admin.close()
    return list(rows.values())


async def read_to_end(consumer: AIOKafkaConsumer, tps: list[TopicPartition]) -> AsyncIterator[ConsumerRecord]:
    """Every record from the beginning to the end offsets at call time, on assigned ``tps``.

    Done-ness goes by the offsets of records returned, not ``position()``: aiokafka may move a
    position past prefetched records before ``getmany`` hands them out."""
    consumer.assign(tps)
    ends = await consumer.end_offsets(tps)
    begins = await consumer.beginning_offsets(tps)
    # An explicit seek, not seek_to_beginning: assign() starts the consumer's own offset reset
    # (auto_offset_reset) and a reset answered after ours would win, leaving the position at
    # the end; a seek cancels pending resets.
    for tp in tps:
        consumer.seek(tp, begins[tp])
    remaining = {tp for tp in tps if ends[tp] > begins[tp]}
    passed: set[TopicPartition] = set()  # position at the end after an empty poll
    while remaining:
        batch = await consumer.getmany(*remaining, timeout_ms=1000)
        for tp, records in batch.items():
            for record in records:
                if record.offset < ends[tp]:
                    yield record
            if records and records[-1].offset + 1 >= ends[tp]:
                remaining.discard(tp)
        if batch:
            passed.clear()
            continue
        # Offsets without records (transaction markers) end only by position. But a poll that
        # timed out as a fetch landed leaves the position at the end with records still buffered,
        # which the next poll hands out: trust the position only after two empty polls in a row.
        at_end = {tp for tp in remaining if await consumer.position(tp) >= ends[tp]}
        remaining -= at_end & passed
        passed = at_end
