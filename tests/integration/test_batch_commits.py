"""Batched ingest against the real broker: nothing is committed past a record that is not durable,
and what was settled before a failure is neither lost nor published twice."""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer

from schemas.topics import Topics
from services.platform.kafka import client_options, make_broker
from services.platform.settings import IngestSettings, KafkaSettings, QdrantSettings, Settings
from services.platform.store import layout
from services.platform.store.port import Point, VectorStore
from tests.conftest import TEST_PARTITIONS
from tests.fakes import HashingEmbedder
from tests.integration.pipeline import committed_offsets, failing_store, running_pipeline
from tests.unit.test_batching import resume

pytestmark = [pytest.mark.broker, pytest.mark.timeout(120)]


class Outage:
    """Upserts fail while ``down`` is set: the store is unreachable, a transient failure."""

    def __init__(self, inner: VectorStore) -> None:
        self.inner = inner
        self.down = threading.Event()
        self.refused = 0

    def upsert(self, collection: str, points: Sequence[Point]) -> None:
        if self.down.is_set() and any(p.payload.get("doc") == "profile" for p in points):
            self.refused += 1
            raise ConnectionError("store unreachable")
        self.inner.upsert(collection, points)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def _batched(kafka_settings: KafkaSettings, tmp_path: Path) -> Settings:
    """Batches of up to 16 records and two quick tries: a failure reaches the rewind fast."""
    settings = Settings(
        kafka=kafka_settings,
        qdrant=QdrantSettings(path=tmp_path / "store"),
        ingest=IngestSettings(batch_max_records=16),
    )
    settings.retry.attempts, settings.retry.initial_wait_s = 2, 0.05
    return settings


async def test_a_batch_is_committed_only_after_every_record_is_durable(
    kafka_settings: KafkaSettings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _batched(kafka_settings, tmp_path)
    outage = failing_store(monkeypatch, Outage)
    topic, n = f"{settings.kafka.topic_prefix}candidate.submitted.v1", 6
    group = f"{settings.ingest.group_id}.candidate-submitted"
    async with running_pipeline(settings, HashingEmbedder()) as pipeline:
        for i in range(n):
            await pipeline.broker.publish(resume(f"c{i}"), topic, key=f"c{i}".encode())
        store = outage[0]
        while store.refused < 6:  # several deliveries, each retried, then rewound
            await asyncio.sleep(0.1)
        assert await committed_offsets(settings, group, topic, TEST_PARTITIONS) == {}

        store.down.clear()
        collection = settings.qdrant.collection_prefix + "candidates"
        for _ in range(200):
            offsets = await committed_offsets(settings, group, topic, TEST_PARTITIONS)
            if sum(offsets.values()) == n:
                break
            await asyncio.sleep(0.1)
        assert sum(offsets.values()) == n, offsets
        assert store.count(collection, layout.PROFILES) == n


class RefusesOne:
    """Profile upserts of one candidate fail while ``down`` is set; everyone else is written."""

    def __init__(self, inner: VectorStore, candidate_id: str) -> None:
        self.inner, self.candidate_id = inner, candidate_id
        self.down = threading.Event()
        self.refused = 0

    def upsert(self, collection: str, points: Sequence[Point]) -> None:
        profiles = [p.payload.get("entity_id") for p in points if p.payload.get("doc") == "profile"]
        if self.down.is_set() and self.candidate_id in profiles:
            self.refused += 1
            raise ConnectionError("store unreachable")
        self.inner.upsert(collection, points)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


async def indexed_events(settings: Settings, topic: str, want: int) -> list[tuple[str, int]]:
    """Every (candidate, version) on candidate.indexed, read from the start; waits for ``want``
    and then a little longer, so that a late duplicate would be seen."""
    group = f"reader-{uuid.uuid4().hex[:8]}"
    options = client_options(settings.kafka)
    consumer = AIOKafkaConsumer(topic, group_id=group, auto_offset_reset="earliest", **options)
    await consumer.start()
    seen: list[tuple[str, int]] = []
    try:
        quiet_until = None
        while quiet_until is None or asyncio.get_running_loop().time() < quiet_until:
            batch = await consumer.getmany(timeout_ms=500)
            for record in (r for rs in batch.values() for r in rs):
                event = json.loads(record.value)
                seen.append((event["candidate_id"], event["version"]))
            if quiet_until is None and len(seen) >= want:
                quiet_until = asyncio.get_running_loop().time() + 2.0
    finally:
        await consumer.stop()
    return seen


async def test_a_failure_mid_batch_commits_the_settled_prefix_and_publishes_nothing_twice(
    kafka_settings: KafkaSettings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _batched(kafka_settings, tmp_path)
    stores = failing_store(monkeypatch, lambda inner: RefusesOne(inner, "bad"))
    topics = Topics(settings.kafka.topic_prefix)
    # Partition 0: two good records, then "bad" (fails), a good one, bad's next version (held back
    # behind it: same key) and another good one. Partition 1: good records only.
    layout_ = {0: [("a", 1), ("b", 1), ("bad", 1), ("c", 1), ("bad", 2), ("d", 1)], 1: [("e", 1), ("f", 1)]}
    publisher = make_broker(settings.kafka)
    async with publisher:
        await publisher.start()
        for partition, items in layout_.items():
            for cid, version in items:
                await publisher.publish(resume(cid, version), topics.candidate_submitted, key=cid.encode(),
                                        partition=partition)  # fmt: skip
    group = f"{settings.ingest.group_id}.candidate-submitted"
    async with running_pipeline(settings, HashingEmbedder()):
        store = stores[0]
        for _ in range(300):
            offsets = await committed_offsets(settings, group, topics.candidate_submitted, TEST_PARTITIONS)
            if store.refused >= 4 and offsets.get(0) == 2 and offsets.get(1) == 2:
                break
            await asyncio.sleep(0.1)
        # The prefix before "bad" is committed, the partition without failures whole; not further.
        assert (offsets.get(0), offsets.get(1)) == (2, 2), offsets

        store.down.clear()
        for _ in range(300):
            offsets = await committed_offsets(settings, group, topics.candidate_submitted, TEST_PARTITIONS)
            if offsets.get(0) == 6:
                break
            await asyncio.sleep(0.1)
        assert (offsets.get(0), offsets.get(1)) == (6, 2), offsets
        seen = await indexed_events(settings, topics.candidate_indexed, want=8)
    expected = sorted(item for items in layout_.values() for item in items)
    assert sorted(seen) == expected  # each exactly once: nothing lost, nothing twice
    assert [s for s in seen if s[0] == "bad"] == [("bad", 1), ("bad", 2)]  # per-key order kept
