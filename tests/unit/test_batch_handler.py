"""The batched candidate.submitted subscriber, wired as in production, on TestKafkaBroker.
Commit semantics against the real broker are in tests/integration/test_batch_commits.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import qdrant_edge
from faststream.kafka import KafkaBroker, KafkaPublishMessage, TestKafkaBroker
from faststream.kafka.annotations import KafkaMessage

from schemas.events import CandidateIndexedV1
from schemas.topics import Topics, dead_letter_topic
from services.ingest.app import attach_ingest, build_ingest
from services.platform.dead_letters import HEADER_PREFIX
from services.platform.kafka import make_broker
from services.platform.settings import IngestSettings, KafkaSettings, QdrantSettings, Settings
from services.platform.store import layout
from services.platform.store.factory import open_store
from services.platform.store.port import VectorStore
from tests.unit.test_batching import CORRUPT_PDF, CountingEmbedder, FailingFor, resume


class Wired:
    def __init__(self, tmp_path: Path, store_wrapper: Any = None, **ingest: Any) -> None:
        self.settings = Settings(
            kafka=KafkaSettings(topic_prefix="t."),
            qdrant=QdrantSettings(path=tmp_path / "store"),
            ingest=IngestSettings(**ingest),
        )
        self.settings.retry.initial_wait_s = 0.0
        self.store: VectorStore = open_store(self.settings.qdrant)
        self.embedder = CountingEmbedder()
        self.broker: KafkaBroker = make_broker(self.settings.kafka)
        store = store_wrapper(self.store) if store_wrapper else self.store
        attach_ingest(self.broker, self.settings, build_ingest(self.settings, store, self.embedder))
        self.topics = Topics(self.settings.kafka.topic_prefix)
        self.indexed: list[CandidateIndexedV1] = []
        self.dead: list[dict[str, Any]] = []

        @self.broker.subscriber(self.topics.candidate_indexed, group_id="observer")
        async def indexed(event: CandidateIndexedV1) -> None:
            self.indexed.append(event)

        @self.broker.subscriber(dead_letter_topic(self.topics.candidate_submitted), group_id="observer")
        async def dead(body: Any, msg: KafkaMessage) -> None:
            self.dead.append(msg.headers)

    def batch(self, *items: tuple[Any, bytes]) -> list[KafkaPublishMessage]:
        return [KafkaPublishMessage(body, key=key) for body, key in items]


@pytest.fixture
def wired(tmp_path: Path) -> Iterator[Wired]:
    w = Wired(tmp_path)
    yield w
    w.store.close()


async def test_poison_in_a_batch_is_dead_lettered_alone_and_the_rest_indexed_in_one_call(
    wired: Wired,
) -> None:
    batch = wired.batch(
        (resume("c1"), b"c1"), (b"{not json", b"junk"), (CORRUPT_PDF, b"cand-corrupt"),
        (resume("c2"), b"c2"), (b'{"candidate_id": 7}', b"bad"),
    )  # fmt: skip
    async with TestKafkaBroker(wired.broker) as broker:
        await broker.publish_batch(*batch, topic=wired.topics.candidate_submitted)
    assert [e.candidate_id for e in wired.indexed] == ["c1", "c2"]
    classes = sorted(h[f"{HEADER_PREFIX}error-class"] for h in wired.dead)
    # Raw bytes carry no JSON content-type: as one at a time, they fail validation, not decoding.
    assert classes == ["DocumentError", "ValidationError", "ValidationError"]
    assert len(wired.embedder.calls) == 1


async def test_versions_of_a_key_are_published_in_order(wired: Wired) -> None:
    batch = wired.batch((resume("x", 1), b"x"), (resume("y"), b"y"), (resume("x", 2), b"x"))
    async with TestKafkaBroker(wired.broker) as broker:
        await broker.publish_batch(*batch, topic=wired.topics.candidate_submitted)
    assert [(e.candidate_id, e.version) for e in wired.indexed if e.candidate_id == "x"] == [
        ("x", 1),
        ("x", 2),
    ]


class FlakyOnce:
    """Fails the first upsert of one entity, then works: a store that blinked."""

    def __init__(self, inner: VectorStore) -> None:
        self.failing = FailingFor(inner, "c-flaky")
        self.inner = inner
        self.failed = False

    def upsert(self, collection: str, points: Any) -> None:
        if not self.failed:
            try:
                return self.failing.upsert(collection, points)
            except ConnectionError:
                self.failed = True
                raise
        return self.inner.upsert(collection, points)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


async def test_a_transient_failure_retries_only_what_failed(tmp_path: Path) -> None:
    wired = Wired(tmp_path, store_wrapper=FlakyOnce)
    try:
        batch = wired.batch((resume("c1"), b"c1"), (resume("c-flaky"), b"c-flaky"), (resume("c2"), b"c2"))
        async with TestKafkaBroker(wired.broker) as broker:
            await broker.publish_batch(*batch, topic=wired.topics.candidate_submitted)
        assert [e.candidate_id for e in wired.indexed] == ["c1", "c2", "c-flaky"]
        assert not wired.dead
        flaky = wired.indexed[2].chunks
        assert wired.embedder.calls == [sum(e.chunks for e in wired.indexed), flaky]  # only it again
    finally:
        wired.store.close()


async def test_no_per_event_collection_open(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[str] = []
    real = qdrant_edge.EdgeShard

    class CountingShard:
        @staticmethod
        def load(path: str, *args: Any) -> Any:
            opened.append(path)
            return real.load(path, *args)

        @staticmethod
        def create(path: str, *args: Any) -> Any:
            opened.append(path)
            return real.create(path, *args)

    monkeypatch.setattr(qdrant_edge, "EdgeShard", CountingShard)
    wired = Wired(tmp_path)
    try:
        at_start = len(opened)
        async with TestKafkaBroker(wired.broker) as broker:
            for round_ in range(3):
                items = [(resume(f"c{round_}-{i}"), f"c{i}".encode()) for i in range(4)]
                await broker.publish_batch(*wired.batch(*items), topic=wired.topics.candidate_submitted)
        assert len(wired.indexed) == 12
        assert len(opened) == at_start, opened[at_start:]  # collections open once, at start
        assert (
            wired.store.count(wired.settings.qdrant.collection_prefix + "candidates", layout.PROFILES) == 12
        )
    finally:
        wired.store.close()
