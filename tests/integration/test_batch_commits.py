"""Batched ingest against the real broker: nothing is committed until every record is durable."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from services.platform.settings import IngestSettings, KafkaSettings, QdrantSettings, Settings
from services.platform.store import layout
from services.platform.store.port import Point, VectorStore
from tests.conftest import TEST_PARTITIONS
from tests.fakes import HashingEmbedder
from tests.integration.pipeline import committed_offsets, running_pipeline
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


async def test_a_batch_is_committed_only_after_every_record_is_durable(
    kafka_settings: KafkaSettings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(
        kafka=kafka_settings,
        qdrant=QdrantSettings(path=tmp_path / "store"),
        ingest=IngestSettings(batch_max_records=16),
    )
    settings.retry.attempts, settings.retry.initial_wait_s = 2, 0.05
    outage: list[Outage] = []

    def open_flaky(qdrant: QdrantSettings) -> VectorStore:
        from services.platform.store.edge import EdgeStore

        outage.append(Outage(EdgeStore(qdrant.path / "edge")))
        outage[0].down.set()
        return outage[0]  # type: ignore[return-value]

    monkeypatch.setattr("tests.integration.pipeline.open_store", open_flaky)
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
