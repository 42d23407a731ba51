"""What the reliability tests share: services on the real broker, topic and group probes, waits.

Every probe reads the broker, never the services' memory: what is committed and what was
published is what a restart or a downstream consumer would see.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from faststream.kafka import KafkaBroker

from services.ingest.app import attach_ingest, build_ingest
from services.matcher.app import attach_matcher, build_matcher
from services.platform.embedder import Embedder
from services.platform.kafka import client_options, make_broker
from services.platform.settings import KafkaSettings, QdrantSettings, RetrySettings, Settings
from services.platform.store import layout
from services.platform.store.layout import Collections
from services.platform.store.port import VectorStore
from tests.conftest import TEST_PARTITIONS
from tests.fakes import HashingEmbedder
from tests.integration.pipeline import committed_offsets

# Short waits keep transient-failure tests quick; the policy is the same as in production.
FAST_RETRY = RetrySettings(attempts=3, initial_wait_s=0.05, max_wait_s=0.2)
COLLECTIONS = Collections.with_prefix(Settings().qdrant.collection_prefix)


# Ingest consumes candidate.submitted in batches by default, or one record at a time; both must
# keep the guarantees. The default lane runs the production default, ``-m slow`` both.
BATCHED = 32
INGEST_MODES = [
    pytest.param(BATCHED, id="batched"),
    pytest.param(1, id="per-record", marks=pytest.mark.slow),
]


def settings_for(kafka: KafkaSettings, store: Path, batch: int = BATCHED, **changes: Any) -> Settings:
    base = Settings(kafka=kafka, qdrant=QdrantSettings(path=store), retry=FAST_RETRY)
    ingest = base.ingest.model_copy(update={"batch_max_records": batch})
    return base.model_copy(update={"ingest": ingest, **changes})


def with_groups(settings: Settings, suffix: str) -> Settings:
    """The same services in fresh consumer groups: they start from offset 0."""
    ingest = settings.ingest.model_copy(update={"group_id": f"{settings.ingest.group_id}-{suffix}"})
    matcher = settings.matcher.model_copy(update={"group_id": f"{settings.matcher.group_id}-{suffix}"})
    return settings.model_copy(update={"ingest": ingest, "matcher": matcher})


@asynccontextmanager
async def running(
    settings: Settings,
    store: VectorStore,
    *,
    ingest: bool = True,
    matcher: bool = False,
    embedder: Embedder | None = None,
) -> AsyncIterator[KafkaBroker]:
    """Ingest and/or matcher handlers on one broker connection, as one worker process runs them."""
    broker = worker_broker(settings, store, ingest=ingest, matcher=matcher, embedder=embedder)
    async with broker:
        await broker.start()
        yield broker


def worker_broker(
    settings: Settings,
    store: VectorStore,
    *,
    ingest: bool = True,
    matcher: bool = False,
    embedder: Embedder | None = None,
) -> KafkaBroker:
    """A worker's broker with its handlers attached, not started."""
    broker = make_broker(settings.kafka)
    if ingest:
        attach_ingest(broker, settings, build_ingest(settings, store, embedder or HashingEmbedder()))
    if matcher:
        attach_matcher(broker, settings, build_matcher(settings, store))
    return broker


@asynccontextmanager
async def publisher(settings: Settings) -> AsyncIterator[KafkaBroker]:
    """A producer only (no subscribers), like the ATS."""
    broker = make_broker(settings.kafka)
    async with broker:
        await broker.connect()
        yield broker


async def read_topic(settings: Settings, topic: str) -> list[ConsumerRecord[bytes, bytes]]:
    """Everything in the topic now, partition by partition in offset order; no group, no commit."""
    consumer = AIOKafkaConsumer(enable_auto_commit=False, **client_options(settings.kafka))
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in range(TEST_PARTITIONS)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        records: list[ConsumerRecord[bytes, bytes]] = []
        while any([await consumer.position(tp) < ends[tp] for tp in partitions]):
            for batch in (await consumer.getmany(timeout_ms=500)).values():
                records.extend(batch)
    finally:
        await consumer.stop()
    return sorted(records, key=lambda r: (r.partition, r.offset))


async def end_offsets(settings: Settings, topic: str) -> dict[int, int]:
    consumer = AIOKafkaConsumer(**client_options(settings.kafka))
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in range(TEST_PARTITIONS)]
        return {tp.partition: offset for tp, offset in (await consumer.end_offsets(partitions)).items()}
    finally:
        await consumer.stop()


async def committed(settings: Settings, group: str, topic: str) -> dict[int, int]:
    return await committed_offsets(settings, group, topic, TEST_PARTITIONS)


async def fully_committed(settings: Settings, group: str, topic: str) -> bool:
    ends = await end_offsets(settings, topic)
    done = await committed(settings, group, topic)  # no entry: nothing committed there yet
    return all(done.get(partition, 0) == end for partition, end in ends.items())


async def eventually(
    check: Callable[[], Awaitable[bool]] | Callable[[], bool], what: str, timeout_s: float = 90.0
) -> None:
    """Polls until ``check`` holds. The deadline only turns a hang into a failure."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = check()
        if result if isinstance(result, bool) else await result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout_s:.0f} s: {what}")
        await asyncio.sleep(0.2)


def profiles(store: VectorStore, collection: str = COLLECTIONS.candidates) -> int:
    return store.count(collection, layout.PROFILES)


def group(settings: Settings, handler: str, service: str = "ingest") -> str:
    base = settings.ingest.group_id if service == "ingest" else settings.matcher.group_id
    return f"{base}.{handler}"
