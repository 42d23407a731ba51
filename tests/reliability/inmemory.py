"""Ingest wired exactly as in production on FastStream's in-memory TestKafkaBroker, with observers
on its outputs and dead-letter topics, driven from synchronous code (hypothesis examples)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from faststream.kafka import TestKafkaBroker
from faststream.kafka.annotations import KafkaMessage

from schemas.topics import Topics, dead_letter_topic
from services.core.documents import DocumentLimits
from services.ingest.app import attach_ingest, build_ingest
from services.platform.kafka import make_broker
from services.platform.settings import KafkaSettings, QdrantSettings, Settings
from services.platform.store.factory import open_store
from services.platform.store.port import VectorStore
from tests.fakes import HashingEmbedder
from tests.reliability.harness import FAST_RETRY


@dataclass
class Outputs:
    indexed: list[bytes] = field(default_factory=list)
    dead: list[tuple[bytes, dict[str, str]]] = field(default_factory=list)


@dataclass
class InMemoryIngest:
    loop: asyncio.AbstractEventLoop
    broker: Any
    topics: Topics
    store: VectorStore
    outputs: dict[str, Outputs]  # input topic → what came out for it

    def publish(self, body: Any, topic: str, key: bytes = b"k") -> None:
        """Raises whatever a handler let escape."""
        self.loop.run_until_complete(self.broker.publish(body, topic, key=key))


@contextmanager
def in_memory_ingest(tmp_path: Path, limits: DocumentLimits | None = None) -> Iterator[InMemoryIngest]:
    settings = Settings(
        kafka=KafkaSettings(topic_prefix="fz."), qdrant=QdrantSettings(path=tmp_path), retry=FAST_RETRY
    )
    topics = Topics(settings.kafka.topic_prefix)
    store = open_store(settings.qdrant)
    broker = make_broker(settings.kafka)
    ingest = build_ingest(settings, store, HashingEmbedder())
    if limits is not None:
        ingest.limits = limits
    attach_ingest(broker, settings, ingest)
    pairs = {topics.candidate_submitted: topics.candidate_indexed, topics.job_posted: topics.job_indexed}
    outputs = {source: Outputs() for source in pairs}
    for source, indexed in pairs.items():
        _observe(broker, source, indexed, outputs[source])
    loop = asyncio.new_event_loop()
    tester = TestKafkaBroker(broker)
    try:
        running = loop.run_until_complete(tester.__aenter__())
        yield InMemoryIngest(loop, running, topics, store, outputs)
    finally:
        loop.run_until_complete(tester.__aexit__(None, None, None))
        loop.close()
        store.close()


def _observe(broker: Any, source: str, indexed: str, out: Outputs) -> None:
    @broker.subscriber(indexed, group_id="observer")
    async def on_indexed(msg: KafkaMessage) -> None:
        out.indexed.append(msg.body)

    @broker.subscriber(dead_letter_topic(source), group_id="observer")
    async def on_dead(msg: KafkaMessage) -> None:
        out.dead.append((msg.body, dict(msg.headers)))
