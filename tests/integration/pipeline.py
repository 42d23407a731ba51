"""Both services in one process against a real broker and store, plus the probes tests need."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar, cast

from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from faststream.kafka import KafkaBroker

from schemas.events import ShortlistPublishedV1
from schemas.topics import Topics
from services.ingest.app import attach_ingest, build_ingest
from services.matcher.app import attach_matcher, build_matcher
from services.platform.embedder import Embedder
from services.platform.kafka import client_options, make_broker
from services.platform.settings import QdrantSettings, Settings
from services.platform.store.factory import open_store
from services.platform.store.port import VectorStore


@dataclass
class Pipeline:
    settings: Settings
    topics: Topics
    broker: KafkaBroker
    store: VectorStore
    shortlists: list[ShortlistPublishedV1] = field(default_factory=list)

    async def wait_for(
        self, predicate: Callable[[ShortlistPublishedV1], bool], timeout_s: float = 60.0
    ) -> ShortlistPublishedV1:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for shortlist in reversed(self.shortlists):
                if predicate(shortlist):
                    return shortlist
            await asyncio.sleep(0.2)
        raise AssertionError(
            f"no matching shortlist within {timeout_s} s; "
            f"saw {[(s.job_id, s.trigger) for s in self.shortlists]}"
        )


@asynccontextmanager
async def running_pipeline(settings: Settings, embedder: Embedder) -> AsyncIterator[Pipeline]:
    store = open_store(settings.qdrant)
    broker = make_broker(settings.kafka)
    detach = attach_ingest(broker, settings, build_ingest(settings, store, embedder))
    attach_matcher(broker, settings, build_matcher(settings, store))
    topics = Topics(settings.kafka.topic_prefix)
    pipeline = Pipeline(settings, topics, broker, store)

    @broker.subscriber(topics.shortlist_published, group_id="test-observer", auto_offset_reset="earliest")
    async def observe(shortlist: ShortlistPublishedV1) -> None:
        pipeline.shortlists.append(shortlist)

    try:
        async with broker:
            await broker.start()
            yield pipeline
    finally:
        detach()
        store.close()


async def committed_offsets(settings: Settings, group_id: str, topic: str, partitions: int) -> dict[int, int]:
    admin = AIOKafkaAdminClient(**client_options(settings.kafka))
    await admin.start()
    try:
        wanted = [TopicPartition(topic, p) for p in range(partitions)]
        offsets: dict[Any, Any] = await admin.list_consumer_group_offsets(group_id, partitions=wanted)
    finally:
        await admin.close()
    return {tp.partition: meta.offset for tp, meta in offsets.items() if meta.offset >= 0}


class Failing(Protocol):
    """A store double that fails while ``down`` is set."""

    down: threading.Event


F = TypeVar("F", bound=Failing)


def failing_store(monkeypatch: Any, double: Callable[[VectorStore], F]) -> list[F]:
    """Makes ``running_pipeline`` open its embedded store inside ``double``, already down; the list
    returned holds the double once the pipeline has opened it."""
    opened: list[F] = []

    def open_failing(qdrant: QdrantSettings) -> VectorStore:
        from services.platform.store.edge import EdgeStore

        opened.append(double(EdgeStore(qdrant.path / "edge")))
        opened[-1].down.set()
        return cast(VectorStore, opened[-1])

    monkeypatch.setattr("tests.integration.pipeline.open_store", open_failing)
    return opened
