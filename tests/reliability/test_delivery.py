"""Delivery on the real broker: an offset is committed only after the store write and the output
publish succeeded (replays: test_replay.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiokafka.errors import KafkaConnectionError
from faststream.kafka.publisher.usecase import DefaultPublisher

from schemas.events import CandidateIndexedV1
from schemas.topics import Topics
from services.platform.kafka import make_broker, subscriber_options
from services.platform.settings import KafkaSettings
from services.platform.store.factory import open_store
from services.platform.store.port import Point, Where
from services.platform.store.qdrant import QdrantStore
from tests.reliability.harness import (
    FAST_RETRY,
    INGEST_MODES,
    committed,
    eventually,
    fully_committed,
    group,
    publisher,
    read_topic,
    running,
    settings_for,
)
from tests.reliability.samples import candidates

pytestmark = [pytest.mark.broker, pytest.mark.timeout(240)]


def test_consumers_start_at_earliest_commit_manually_and_producers_wait_for_all_replicas() -> None:
    settings = KafkaSettings()
    options = subscriber_options(settings, "g")
    assert options["auto_offset_reset"] == "earliest"
    assert options["ack_policy"].name == "MANUAL"
    assert options["fetch_max_wait_ms"] == 500  # Kafka's own: it answers as soon as records arrive
    assert subscriber_options(KafkaSettings(fetch_max_wait_ms=50), "g")["fetch_max_wait_ms"] == 50
    assert settings.enable_idempotence is True  # on for real Kafka; only the Tansu tests turn it off
    producer = make_broker(settings)._connection_kwargs  # what FastStream hands AIOKafkaProducer
    assert producer["acks"] == "all" and producer["enable_idempotence"] is True


class RecordingClient:
    """Stands in for qdrant_client.QdrantClient: notes how each write was asked for."""

    def __init__(self) -> None:
        self.writes: list[tuple[str, bool]] = []

    def upsert(self, collection: str, points: Any, wait: bool = False) -> None:
        self.writes.append(("upsert", wait))

    def delete(self, collection: str, selector: Any, wait: bool = False) -> None:
        self.writes.append(("delete", wait))


def test_the_server_adapter_waits_for_every_write_to_be_applied() -> None:
    client = RecordingClient()
    store = QdrantStore(client)  # type: ignore[arg-type]
    store.upsert("c", [Point("6f1c3b7e-8f5d-4a9e-9d1b-0c2e7a4b5f60", {}, [1.0])])
    store.delete("c", Where(must={"entity_id": "x"}))
    assert client.writes == [("upsert", True), ("delete", True)]


class FailingOutput:
    """Makes publishes to one topic fail (as a broker outage would) until ``heal``."""

    def __init__(self, topic: str) -> None:
        self.topic = topic
        self.failed = 0
        self.healed = False

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        original = DefaultPublisher.publish

        async def publish(publisher: DefaultPublisher, *args: Any, **kwargs: Any) -> Any:
            if publisher.topic == self.topic and not self.healed:
                self.failed += 1
                raise KafkaConnectionError("output topic unreachable (test)")
            return await original(publisher, *args, **kwargs)

        monkeypatch.setattr(DefaultPublisher, "publish", publish)


@pytest.mark.parametrize("batch", INGEST_MODES)
async def test_a_failed_output_publish_commits_nothing_and_the_record_is_redelivered(
    kafka_settings: KafkaSettings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batch: int
) -> None:
    settings = settings_for(kafka_settings, tmp_path / "store", batch)
    topics = Topics(kafka_settings.topic_prefix)
    output = FailingOutput(topics.candidate_indexed)
    output.install(monkeypatch)
    candidate = candidates(1)[0]
    store = open_store(settings.qdrant)
    try:
        async with running(settings, store), publisher(settings) as ats:
            await ats.publish(candidate, topics.candidate_submitted, key=candidate.candidate_id.encode())
            # More failures than one delivery's attempts: the record was rewound and came back.
            await eventually(lambda: output.failed > 2 * FAST_RETRY.attempts, "redeliveries")
            submitted = group(settings, "candidate-submitted")
            assert await committed(settings, submitted, topics.candidate_submitted) == {}
            output.healed = True
            done = topics.candidate_submitted
            await eventually(lambda: fully_committed(settings, submitted, done), "commit after healing")
    finally:
        store.close()
    indexed = await read_topic(settings, topics.candidate_indexed)
    assert [CandidateIndexedV1.model_validate_json(r.value).candidate_id for r in indexed] == [
        candidate.candidate_id
    ]
    assert await read_topic(settings, topics.candidate_submitted + ".dlq") == []
