"""The batched candidate.submitted subscriber, wired as in production, on TestKafkaBroker, and
where it commits and rewinds after a failure. Commit semantics against the real broker are in
tests/integration/test_batch_commits.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
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
from services.platform.settled import Settled, commit_settled, resume_at, rewound
from services.platform.store import layout
from services.platform.store.factory import open_store
from services.platform.store.port import VectorStore
from tests.unit.test_batching import CORRUPT_PDF, CountingEmbedder, FailingFor, resume


class Wired:
    def __init__(self, tmp_path: Path, store_wrapper: Any = None, **ingest: Any) -> None:
        self.settings = Settings(
            kafka=KafkaSettings(topic_prefix="t."),
            qdrant=QdrantSettings(path=tmp_path / "store"),
            ingest=IngestSettings(**{"parse_processes": 0, **ingest}),
        )
        self.settings.retry.initial_wait_s = 0.0
        self.store: VectorStore = open_store(self.settings.qdrant)
        self.embedder = CountingEmbedder()
        self.broker: KafkaBroker = make_broker(self.settings.kafka)
        store = store_wrapper(self.store) if store_wrapper else self.store
        self.detach = attach_ingest(
            self.broker, self.settings, build_ingest(self.settings, store, self.embedder)
        )
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

    def close(self) -> None:
        self.detach()
        self.store.close()


@pytest.fixture(params=[0, 2], ids=["parsed-in-threads", "parsed-in-processes"])
def wired(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Wired]:
    w = Wired(tmp_path, parse_processes=request.param)
    yield w
    w.close()


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
        wired.close()


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
        wired.close()


def record(partition: int, offset: int, topic: str = "t") -> SimpleNamespace:
    return SimpleNamespace(topic=topic, partition=partition, offset=offset, key=b"k", value=b"v")


class RecordingMessage:
    """The message a batch handler acks, with a consumer that remembers seeks."""

    def __init__(self) -> None:
        self.seeks: dict[tuple[str, int], int] = {}
        self.acked = False
        self.consumer = self

    def seek(self, partition: Any, offset: int) -> None:
        self.seeks[partition.topic, partition.partition] = offset

    async def ack(self) -> None:
        self.acked = True


async def test_each_partition_commits_its_settled_prefix_and_rewinds_from_its_first_unsettled_record() -> (
    None
):
    records = [
        record(0, 10),
        record(0, 11),
        record(1, 5),
        record(0, 12),
        record(1, 6),
        record(0, 13),
        record(2, 7),
    ]
    settled = {0, 1, 2, 4, 5}  # 0@12 and 2@7 failed; 0@13 succeeded behind 0@12
    assert resume_at(records, settled) == {("t", 0): 12, ("t", 1): 7, ("t", 2): 7}
    assert rewound(records, settled) == {("t", 0): 12, ("t", 2): 7}

    seen = Settled()
    for i in settled:
        seen.add(records[i])
    msg = RecordingMessage()
    await commit_settled(msg, records, settled, seen)
    assert msg.seeks == {("t", 0): 12, ("t", 2): 7} and msg.acked  # partitions 0 and 1 moved on
    assert record(0, 13) in seen and record(0, 10) not in seen  # only what comes back is remembered
    assert len(seen) == 1


async def test_nothing_is_committed_when_no_partition_moved_on() -> None:
    records = [record(0, 3), record(0, 4), record(1, 9)]
    msg = RecordingMessage()
    await commit_settled(msg, records, {1}, Settled())
    assert msg.seeks == {("t", 0): 3, ("t", 1): 9} and not msg.acked


class FailingUntilFixed:
    """Upserts of one entity fail until ``fixed`` is set: retries run out, the batch is rewound."""

    def __init__(self, inner: VectorStore) -> None:
        self.failing = FailingFor(inner, "bad")
        self.inner = inner
        self.fixed = False

    def upsert(self, collection: str, points: Any) -> None:
        return (self.inner if self.fixed else self.failing).upsert(collection, points)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


async def test_records_settled_before_a_rewind_are_not_published_again(tmp_path: Path) -> None:
    stores: list[FailingUntilFixed] = []

    def wrap(inner: VectorStore) -> FailingUntilFixed:
        stores.append(FailingUntilFixed(inner))
        return stores[0]

    wired = Wired(tmp_path, store_wrapper=wrap)
    wired.settings.retry.attempts = 2
    try:
        batch = wired.batch((resume("a"), b"a"), (resume("bad"), b"bad"), (resume("c"), b"c"))
        async with TestKafkaBroker(wired.broker) as broker:
            await broker.publish_batch(*batch, topic=wired.topics.candidate_submitted)
            assert [e.candidate_id for e in wired.indexed] == ["a", "c"]
            stores[0].fixed = True
            # The rewind delivers the batch again: only the record that was not settled runs.
            await broker.publish_batch(*batch, topic=wired.topics.candidate_submitted)
        assert [e.candidate_id for e in wired.indexed] == ["a", "c", "bad"]
        assert not wired.dead
    finally:
        wired.close()
