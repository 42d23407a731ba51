"""Batched match requests against the real broker: each request answered once, poison dead-lettered
once, every decision on its topic before its shortlist, and nothing committed past a request that
was not answered."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import ConsumerRecord

from schemas.events import MatchRequestedV1
from schemas.topics import Topics, dead_letter_topic
from services.ingest.app import build_ingest
from services.platform.kafka import client_options, make_broker
from services.platform.settings import KafkaSettings, MatcherSettings, QdrantSettings, Settings
from services.platform.store.factory import open_store
from services.platform.store.port import Point, VectorStore
from tests.conftest import TEST_PARTITIONS
from tests.fakes import HashingEmbedder
from tests.integration.pipeline import committed_offsets, failing_store, running_pipeline
from tests.unit.test_handlers import ML_JOB, STRONG, WEAK

pytestmark = [pytest.mark.broker, pytest.mark.timeout(120)]

GROUP = "rolefit-matcher.match-requested"
AT = datetime(2026, 1, 2, tzinfo=UTC)


def _settings(kafka: KafkaSettings, tmp_path: Path) -> Settings:
    settings = Settings(
        kafka=kafka,
        qdrant=QdrantSettings(path=tmp_path / "store"),
        matcher=MatcherSettings(batch_max_records=8),
    )
    settings.retry.attempts, settings.retry.initial_wait_s = 2, 0.05  # a failure reaches the rewind fast
    return settings


def _index_job_and_candidates(settings: Settings) -> None:
    """Straight into the store, through ingest's use-case: only the matcher's side runs on Kafka."""
    store = open_store(settings.qdrant)
    try:
        ingest = build_ingest(settings, store, HashingEmbedder())
        for candidate in (WEAK, STRONG):
            ingest.index_candidate(candidate, AT)
        ingest.index_job(ML_JOB, AT)
    finally:
        store.close()


async def _publish_raw(settings: Settings, bodies: Sequence[bytes]) -> None:
    """Into partition 0, in order, before the matcher that answers them starts: one batch."""
    publisher = make_broker(settings.kafka)
    async with publisher:
        await publisher.start()
        for body in bodies:
            await publisher.publish(body, Topics(settings.kafka.topic_prefix).match_requested, key=b"k",
                                    partition=0, headers={"content-type": "application/json"})  # fmt: skip


async def _read(settings: Settings, topic: str, want: int) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record of ``topic`` from the start; waits for ``want``, then 2 s more for extras."""
    consumer = AIOKafkaConsumer(auto_offset_reset="earliest", **client_options(settings.kafka))
    await consumer.start()  # no group: assigned its partitions, it needs no join
    consumer.assign([TopicPartition(topic, p) for p in range(TEST_PARTITIONS)])
    seen: list[ConsumerRecord[bytes, bytes]] = []
    try:
        loop, quiet_until = asyncio.get_running_loop(), None
        while quiet_until is None or loop.time() < quiet_until:
            for records in (await consumer.getmany(timeout_ms=300)).values():
                seen.extend(records)
            if quiet_until is None and len(seen) >= want:
                quiet_until = loop.time() + 2.0
    finally:
        await consumer.stop()
    return seen


def _request(job_id: str, top_k: int | None = None) -> bytes:
    return MatchRequestedV1(job_id=job_id, top_k=top_k).model_dump_json().encode()


async def _requested(settings: Settings, want: int) -> list[Any]:
    topics = Topics(settings.kafka.topic_prefix)
    shortlists = await _read(settings, topics.shortlist_published, want)
    return [r for r in shortlists if json.loads(r.value)["trigger"] == "match_requested"]


async def _committed(settings: Settings, want: int) -> dict[int, int]:
    topic = Topics(settings.kafka.topic_prefix).match_requested
    for _ in range(300):
        offsets = await committed_offsets(settings, GROUP, topic, TEST_PARTITIONS)
        if offsets.get(0) == want:
            break
        await asyncio.sleep(0.1)
    return offsets


async def test_a_batch_answers_each_request_once_and_dead_letters_poison_once(
    kafka_settings: KafkaSettings, tmp_path: Path
) -> None:
    settings = _settings(kafka_settings, tmp_path)
    _index_job_and_candidates(settings)
    # Six requests for one job (more than the decision book keeps per job), poison of two kinds,
    # and an unknown job (answered with nothing): one batch of eight, then one of two.
    bodies = [_request(ML_JOB.job_id, top_k=k) for k in (1, 2, 1, 2, 1)]
    bodies[2:2] = [b"{not json", b'{"job_id": 7}']
    bodies += [_request("no-such-job"), _request(ML_JOB.job_id), _request(ML_JOB.job_id, top_k=1)]
    await _publish_raw(settings, bodies)
    async with running_pipeline(settings, HashingEmbedder()):
        offsets = await _committed(settings, len(bodies))
        answered = await _requested(settings, want=7)
    assert offsets.get(0) == len(bodies), offsets
    assert len(answered) == 7  # every known job's request, each once
    assert sorted(len(json.loads(r.value)["candidates"]) for r in answered) == [1, 1, 1, 1, 2, 2, 2]

    topics = Topics(settings.kafka.topic_prefix)
    dead = await _read(settings, dead_letter_topic(topics.match_requested), want=2)
    assert sorted(r.value for r in dead) == [b'{"job_id": 7}', b"{not json"]
    decisions = {_which(r): r for r in await _read(settings, topics.decision_recorded, want=7)}
    for shortlist in answered:
        decision = decisions[_which(shortlist)]
        assert decision.timestamp <= shortlist.timestamp  # acknowledged before the shortlist was sent


def _which(record: ConsumerRecord[bytes, bytes]) -> tuple[str, str]:
    """A shortlist's identity, as its decision names it: equal shortlists differ in their time."""
    body = json.loads(record.value)
    return body["shortlist_id"], body["generated_at"]


class JobsUnreadable:
    """The matcher's reads of job points (with vectors) fail while ``down`` is set: a store outage
    that only the matcher notices."""

    def __init__(self, inner: VectorStore) -> None:
        self.inner = inner
        self.down = threading.Event()
        self.refused = 0

    def retrieve(self, collection: str, ids: Sequence[str], with_vectors: bool = False) -> list[Point]:
        if self.down.is_set() and with_vectors and collection.endswith("jobs"):
            self.refused += 1
            raise ConnectionError("store unreachable")
        return self.inner.retrieve(collection, ids, with_vectors)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


async def test_an_outage_rewinds_to_the_first_unanswered_request_and_nothing_is_repeated(
    kafka_settings: KafkaSettings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _settings(kafka_settings, tmp_path)
    _index_job_and_candidates(settings)
    stores = failing_store(monkeypatch, JobsUnreadable)
    await _publish_raw(settings, [b"{not json", _request(ML_JOB.job_id), _request(ML_JOB.job_id, top_k=1)])
    async with running_pipeline(settings, HashingEmbedder()):
        store = stores[0]
        for _ in range(300):  # several deliveries, each retried, then rewound
            if store.refused >= 4:
                break
            await asyncio.sleep(0.1)
        assert store.refused >= 4
        # The dead-lettered prefix is committed, nothing past it.
        assert (await committed_offsets(settings, GROUP, Topics(settings.kafka.topic_prefix).match_requested,
                                        TEST_PARTITIONS)).get(0) == 1  # fmt: skip
        store.down.clear()
        offsets = await _committed(settings, 3)
        answered = await _requested(settings, want=2)
    assert offsets.get(0) == 3, offsets
    assert len(answered) == 2
    dead = await _read(settings, dead_letter_topic(Topics(settings.kafka.topic_prefix).match_requested), 1)
    assert [r.value for r in dead] == [b"{not json"]  # once, however often its batch came back
